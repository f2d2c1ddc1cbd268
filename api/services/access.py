"""Access changes, each audited: webhook subscriptions on/off, users disabled/enabled, device and
user tokens revoked or rotated (a rotated token is returned once and stored hashed).

`actor` is who did it, as the audit log shows it: `user:<name>` for API callers, `cli:<os user>`
for the command line. Callers check roles and scopes; these functions check the targets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import ConflictError, NotFoundError
from api.orm import Device, Subscription, User
from api.services.audit import audit
from api.services.principals import issue_token


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def _device(session: Session, device_id: str) -> Device:
    top_level = Device.parent_device_id.is_(None)
    device = session.scalar(select(Device).where(Device.device_id == device_id, top_level))
    if device is None:
        raise NotFoundError(f"no device {device_id!r}")
    return device


def set_subscription_active(
    *, session: Session, subscription: Subscription, active: bool, actor: str, now: datetime
) -> Subscription:
    """Switch a subscription on or off; while off, nothing is owed to it and its pending deliveries wait."""
    if subscription.active != active:
        subscription.active = active
        action = "webhook.reactivate" if active else "webhook.deactivate"
        audit(
            session=session,
            actor=actor,
            action=action,
            target_kind="webhook",
            target=str(subscription.id),
            now=now,
            data={"url": subscription.url},
        )
    return subscription


def switch_subscription_by_id(
    *, session: Session, subscription_id: int, active: bool, actor: str, now: datetime
) -> Subscription:
    """`set_subscription_active` for a subscription by id; 404 when there is none."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFoundError(f"no webhook subscription {subscription_id}")
    return set_subscription_active(
        session=session, subscription=subscription, active=active, actor=actor, now=now
    )


def set_user_disabled(*, session: Session, username: str, disabled: bool, actor: str, now: datetime) -> User:
    """Disable a user (their token stops working at once) or enable them again."""
    user = _user(session, username)
    if disabled and actor == f"user:{username}":
        raise ConflictError("you cannot disable yourself")
    if (user.disabled_at is not None) != disabled:
        user.disabled_at = now if disabled else None
        action = "user.disable" if disabled else "user.enable"
        audit(session=session, actor=actor, action=action, target_kind="user", target=username, now=now)
    return user


def rotate_user_token(*, session: Session, username: str, actor: str, now: datetime) -> tuple[User, str]:
    """A fresh token for the user (returned once); the old one stops working at once."""
    user = _user(session, username)
    token = issue_token(user)
    audit(
        session=session, actor=actor, action="user.token.rotate", target_kind="user", target=username, now=now
    )
    return user, token


def revoke_user_token(*, session: Session, username: str, actor: str, now: datetime) -> User:
    """Make the user's token worthless without issuing a new one (rotate to get one)."""
    user = _user(session, username)
    if actor == f"user:{username}":
        raise ConflictError("you cannot revoke your own token; rotate it instead")
    issue_token(user)  # a token nobody is shown: the old one stops working
    audit(
        session=session, actor=actor, action="user.token.revoke", target_kind="user", target=username, now=now
    )
    return user


def revoke_device_token(*, session: Session, device_id: str, actor: str, now: datetime) -> Device:
    """Revoke an edge box's token; its alerts get 403 from now on (rotate to let it back in)."""
    device = _device(session, device_id)
    if device.revoked_at is None:
        device.revoked_at = now
        audit(
            session=session,
            actor=actor,
            action="device.revoke",
            target_kind="device",
            target=device_id,
            now=now,
        )
    return device


def rotate_device_token(*, session: Session, device_id: str, actor: str, now: datetime) -> tuple[Device, str]:
    """A fresh token for an edge box (returned once); the old one stops working, a revocation ends."""
    device = _device(session, device_id)
    if device.kind != "edge":
        raise ConflictError(f"device {device_id!r} is a {device.kind}: only edge boxes have tokens")
    token = issue_token(device)
    device.revoked_at = None
    audit(
        session=session,
        actor=actor,
        action="device.token.rotate",
        target_kind="device",
        target=device_id,
        now=now,
    )
    return device, token
