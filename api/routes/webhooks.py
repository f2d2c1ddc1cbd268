"""Webhook subscriptions of case systems, and their delivery records.

A URL must be http(s) and reach only public addresses, or hosts/networks on the allow list
(`GRIDWATCH_API_WEBHOOK_ALLOW`): checked when subscribing and again at every delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import CtxDep, GlobalAdminDep, PrincipalDep, SessionDep
from api.errors import ForbiddenError, NotFoundError
from api.logic.roles import WEBHOOK_ROLES, Role, in_scope
from api.orm import Delivery, Subscription
from api.schemas.errors import BODY, NOT_FOUND, ROLE_GATED
from api.services.access import set_subscription_active
from api.services.principals import Principal
from api.services.webhooks import TOPICS, create_subscription
from gridwatch.contracts.alert import NO_NUL

router = APIRouter(tags=["webhooks"], responses=ROLE_GATED)

MAX_ID = 2**31 - 1
SubscriptionIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Subscription id")]


def get_subscriber(principal: PrincipalDep) -> Principal:
    """A case-system client or an admin."""
    if principal.role not in WEBHOOK_ROLES:
        raise ForbiddenError(f"role {principal.role.value} may not manage webhooks")
    return principal


SubscriberDep = Annotated[Principal, Depends(get_subscriber)]


class SubscriptionIn(BaseModel):
    """What to send where; the secret signs every delivery."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=512, pattern=NO_NUL, description="http(s) URL; private addresses only when allowed"
    )
    secret: str = Field(min_length=16, max_length=128, pattern=NO_NUL)
    event_types: list[Annotated[str, Field(max_length=16, pattern=r"^[A-Z0-9]+$")]] = Field(
        default_factory=list, max_length=64, description="Only these types; empty = all"
    )
    topics: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=len(TOPICS), description="Only these topics; empty = all"
    )


class SubscriptionOut(BaseModel):
    """A subscription (the secret is never shown again)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    scope_path: str
    event_types: list[str]
    topics: list[str]
    active: bool
    failure_streak: int = Field(description="Failed delivery attempts in a row (0 after a success)")
    paused_until: datetime | None = Field(
        description="Circuit breaker: nothing is sent to this URL until then (null: not paused)"
    )


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


@router.post("/v1/webhooks", status_code=201, responses=BODY)
def post_subscription(
    body: SubscriptionIn, ctx: CtxDep, session: SessionDep, owner: SubscriberDep
) -> SubscriptionOut:
    """Subscribe a URL to event changes inside your scope (422 for a refused URL, naming why)."""
    sub = create_subscription(
        session=session,
        owner=owner,
        now=datetime.now(UTC),
        allow=ctx.settings.webhook_allow_list,
        resolver=ctx.resolver,
        **body.model_dump(),
    )
    session.commit()
    return SubscriptionOut.model_validate(sub)


@router.get("/v1/webhooks")
def get_subscriptions(session: SessionDep, owner: SubscriberDep) -> list[SubscriptionOut]:
    """Your subscriptions."""
    rows = session.scalars(select(Subscription).where(Subscription.owner_id == owner.user_id))
    return [SubscriptionOut.model_validate(s) for s in rows]


def _manageable(session: SessionDep, principal: Principal, subscription_id: int) -> Subscription:
    """A subscription the caller owns, or one inside an admin's scope; 404 otherwise."""
    sub = session.get(Subscription, subscription_id)
    mine = sub is not None and sub.owner_id == principal.user_id
    admins = (
        sub is not None and principal.role is Role.ADMIN and in_scope(principal.scope_path, sub.scope_path)
    )
    if sub is None or not (mine or admins):
        raise NotFoundError(f"no subscription {subscription_id} of yours")
    return sub


@router.get("/v1/webhooks/{subscription_id}/deliveries", responses=NOT_FOUND)
def get_deliveries(
    subscription_id: SubscriptionIdPath, session: SessionDep, owner: SubscriberDep
) -> list[DeliveryOut]:
    """Delivery records of one of your subscriptions, newest first."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.owner_id != owner.user_id:
        raise NotFoundError(f"no subscription {subscription_id} of yours")
    rows = session.scalars(
        select(Delivery).where(Delivery.subscription_id == sub.id).order_by(Delivery.id.desc()).limit(500)
    )
    return [DeliveryOut.model_validate(d) for d in rows]


@router.post("/v1/webhooks/{subscription_id}/deactivate", responses=NOT_FOUND)
def post_deactivate(
    subscription_id: SubscriptionIdPath, session: SessionDep, caller: SubscriberDep
) -> SubscriptionOut:
    """Stop a subscription (yours, or any in your scope as an admin): changes while it is stopped are
    never sent to it; deliveries already owed wait."""
    return _set_active(session, caller, subscription_id, active=False)


@router.post("/v1/webhooks/{subscription_id}/reactivate", responses=NOT_FOUND)
def post_reactivate(
    subscription_id: SubscriptionIdPath, session: SessionDep, caller: SubscriberDep
) -> SubscriptionOut:
    """Start a stopped subscription again; deliveries that were waiting go out."""
    return _set_active(session, caller, subscription_id, active=True)


def _set_active(
    session: SessionDep, caller: Principal, subscription_id: int, *, active: bool
) -> SubscriptionOut:
    sub = _manageable(session, caller, subscription_id)
    actor = f"user:{caller.username}"
    set_subscription_active(
        session=session, subscription=sub, active=active, actor=actor, now=datetime.now(UTC)
    )
    session.commit()
    return SubscriptionOut.model_validate(sub)


@router.get("/v1/admin/webhooks", tags=["admin"])
def get_all_subscriptions(session: SessionDep, _admin: GlobalAdminDep) -> list[SubscriptionOut]:
    """Every subscription of every owner (to find one to deactivate)."""
    rows = session.scalars(select(Subscription).order_by(Subscription.id))
    return [SubscriptionOut.model_validate(s) for s in rows]
