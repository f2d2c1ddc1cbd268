"""Webhook subscriptions of case systems, and their delivery records.

A URL must be http(s) and reach only public addresses, or hosts/networks on the allow list
(`GRIDWATCH_API_WEBHOOK_ALLOW`): checked when subscribing and again at every delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import CtxDep, GlobalAdminDep, SessionDep, SubscriberDep
from api.schemas.errors import BODY, NOT_FOUND, ROLE_GATED
from api.schemas.paths import SubscriptionIdPath
from api.schemas.webhooks import DeliveryOut, SubscriptionIn, SubscriptionOut
from api.services.principals import Principal
from api.services.subscriptions import (
    deliveries_of,
    every_subscription,
    own_subscription,
    subscriptions_of,
    switch_subscription,
)
from api.services.webhooks import create_subscription

router = APIRouter(tags=["webhooks"], responses=ROLE_GATED)


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
    return [SubscriptionOut.model_validate(s) for s in subscriptions_of(session=session, owner=owner)]


@router.get("/v1/webhooks/{subscription_id}/deliveries", responses=NOT_FOUND)
def get_deliveries(
    subscription_id: SubscriptionIdPath, session: SessionDep, owner: SubscriberDep
) -> list[DeliveryOut]:
    """Delivery records of one of your subscriptions, newest first."""
    sub = own_subscription(session=session, owner=owner, subscription_id=subscription_id)
    return [DeliveryOut.model_validate(d) for d in deliveries_of(session=session, subscription=sub)]


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
    sub = switch_subscription(
        session=session, caller=caller, subscription_id=subscription_id, active=active, now=datetime.now(UTC)
    )
    session.commit()
    return SubscriptionOut.model_validate(sub)


@router.get("/v1/admin/webhooks", tags=["admin"])
def get_all_subscriptions(session: SessionDep, _admin: GlobalAdminDep) -> list[SubscriptionOut]:
    """Every subscription of every owner (to find one to deactivate)."""
    return [SubscriptionOut.model_validate(s) for s in every_subscription(session=session)]
