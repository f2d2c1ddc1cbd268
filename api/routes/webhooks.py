"""Webhook subscriptions of case systems, and their delivery records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import PrincipalDep, SessionDep
from api.errors import ForbiddenError, NotFoundError
from api.logic.roles import WEBHOOK_ROLES
from api.orm import Delivery, Subscription
from api.services.principals import Principal
from api.services.webhooks import create_subscription

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def get_subscriber(principal: PrincipalDep) -> Principal:
    """A case-system client or an admin."""
    if principal.role not in WEBHOOK_ROLES:
        raise ForbiddenError(f"role {principal.role.value} may not manage webhooks")
    return principal


SubscriberDep = Annotated[Principal, Depends(get_subscriber)]


class SubscriptionIn(BaseModel):
    """What to send where; the secret signs every delivery."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=512)
    secret: str = Field(min_length=16, max_length=128)
    event_types: list[str] = Field(default_factory=list, description="Only these types; empty = all")
    topics: list[str] = Field(default_factory=list, description="Only these topics; empty = all")


class SubscriptionOut(BaseModel):
    """A subscription (the secret is never shown again)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    scope_path: str
    event_types: list[str]
    topics: list[str]
    active: bool


class DeliveryOut(BaseModel):
    """The record of one delivery."""

    model_config = ConfigDict(from_attributes=True)

    delivery_id: str
    topic: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str
    next_attempt_at: datetime
    delivered_at: datetime | None


@router.post("", status_code=201)
def post_subscription(body: SubscriptionIn, session: SessionDep, owner: SubscriberDep) -> SubscriptionOut:
    """Subscribe a URL to event changes inside your scope."""
    sub = create_subscription(session=session, owner=owner, now=datetime.now(UTC), **body.model_dump())
    session.commit()
    return SubscriptionOut.model_validate(sub)


@router.get("")
def get_subscriptions(session: SessionDep, owner: SubscriberDep) -> list[SubscriptionOut]:
    """Your subscriptions."""
    rows = session.scalars(select(Subscription).where(Subscription.owner_id == owner.user_id))
    return [SubscriptionOut.model_validate(s) for s in rows]


@router.get("/{subscription_id}/deliveries")
def get_deliveries(subscription_id: int, session: SessionDep, owner: SubscriberDep) -> list[DeliveryOut]:
    """Delivery records of one of your subscriptions, newest first."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.owner_id != owner.user_id:
        raise NotFoundError(f"no subscription {subscription_id} of yours")
    rows = session.scalars(
        select(Delivery).where(Delivery.subscription_id == sub.id).order_by(Delivery.id.desc()).limit(500)
    )
    return [DeliveryOut.model_validate(d) for d in rows]
