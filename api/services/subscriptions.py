"""Webhook subscriptions as their owners and admins see them: listing, finding, switching on and off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import NotFoundError
from api.logic.roles import Role, in_scope
from api.orm import Delivery, Subscription
from api.services.access import set_subscription_active
from api.services.principals import Principal, actor_of

MAX_DELIVERIES = 500
"""The most delivery records one listing shows (newest first)."""


def subscriptions_of(*, session: Session, owner: Principal) -> list[Subscription]:
    """The caller's own subscriptions."""
    return list(session.scalars(select(Subscription).where(Subscription.owner_id == owner.user_id)))


def every_subscription(*, session: Session) -> list[Subscription]:
    """Every subscription of every owner, by id."""
    return list(session.scalars(select(Subscription).order_by(Subscription.id)))


def own_subscription(*, session: Session, owner: Principal, subscription_id: int) -> Subscription:
    """A subscription the caller owns; 404 otherwise."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.owner_id != owner.user_id:
        raise NotFoundError(f"no subscription {subscription_id} of yours")
    return sub


def manageable_subscription(*, session: Session, caller: Principal, subscription_id: int) -> Subscription:
    """A subscription the caller owns, or one inside an admin's scope; 404 otherwise."""
    sub = session.get(Subscription, subscription_id)
    mine = sub is not None and sub.owner_id == caller.user_id
    admins = sub is not None and caller.role is Role.ADMIN and in_scope(caller.scope_path, sub.scope_path)
    if sub is None or not (mine or admins):
        raise NotFoundError(f"no subscription {subscription_id} of yours")
    return sub


def deliveries_of(*, session: Session, subscription: Subscription) -> list[Delivery]:
    """The newest delivery records of a subscription, newest first."""
    query = (
        select(Delivery)
        .where(Delivery.subscription_id == subscription.id)
        .order_by(Delivery.id.desc())
        .limit(MAX_DELIVERIES)
    )
    return list(session.scalars(query))


def switch_subscription(
    *, session: Session, caller: Principal, subscription_id: int, active: bool, now: datetime
) -> Subscription:
    """Stop or restart a subscription the caller may manage, audited under the caller's name."""
    sub = manageable_subscription(session=session, caller=caller, subscription_id=subscription_id)
    return set_subscription_active(
        session=session, subscription=sub, active=active, actor=actor_of(caller), now=now
    )
