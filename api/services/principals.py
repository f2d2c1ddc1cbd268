"""Devices and users: creation with a one-time token, revocation, authentication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import BadInputError, ConflictError, ForbiddenError, NotAuthenticatedError
from api.logic.roles import Role
from api.orm import Device, User
from api.security import hash_token, new_token
from api.services.grids import path_of

DEVICE_KINDS = ("edge", "camera", "sensor")


@dataclass(frozen=True)
class Principal:
    """An authenticated user, as the routes need it."""

    user_id: int
    username: str
    role: Role
    scope_path: str


def actor_of(principal: Principal) -> str:
    """How the audit log names an API caller."""
    return f"user:{principal.username}"


def create_device(
    *,
    session: Session,
    device_id: str,
    kind: str,
    name: str = "",
    parent_device_id: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> tuple[Device, str | None]:
    """Register a device; an edge box gets a token, returned once and stored hashed."""
    if kind not in DEVICE_KINDS:
        raise BadInputError(f"kind {kind!r} is not one of {', '.join(DEVICE_KINDS)}", loc=("body", "kind"))
    parent = (
        Device.parent_device_id.is_(None)
        if parent_device_id is None
        else Device.parent_device_id == parent_device_id
    )
    if session.scalar(select(Device.id).where(Device.device_id == device_id, parent)) is not None:
        raise ConflictError(f"device {device_id!r} already exists")
    device = Device(
        device_id=device_id,
        kind=kind,
        name=name,
        parent_device_id=parent_device_id,
        lon=lon,
        lat=lat,
        created_at=datetime.now(UTC),
    )
    token = issue_token(device) if kind == "edge" else None
    session.add(device)
    session.flush()
    return device, token


def issue_token(holder: User | Device) -> str:
    """A fresh bearer token for a user (`gwu_...`) or an edge box (`gwd_...`): its hash goes on the row,
    the token is returned to be shown once; whatever token the holder had stops working."""
    token, holder.token_hash = new_token("gwd" if isinstance(holder, Device) else "gwu")
    return token


def device_for_token(*, session: Session, token: str) -> Device:
    """The edge box a token belongs to; 401 unknown, 403 revoked."""
    return usable_device(session.scalar(select(Device).where(Device.token_hash == hash_token(token))))


def usable_device(device: Device | None) -> Device:
    """The device a token was looked up to, when it may post: 401 none, 403 revoked."""
    if device is None:
        raise NotAuthenticatedError("unknown device token")
    if device.revoked_at is not None:
        raise ForbiddenError(f"the token of device {device.device_id!r} is revoked")
    return device


def create_user(*, session: Session, username: str, role: Role, scope: str | None) -> tuple[User, str]:
    """Create a user scoped to the subtree of grid `scope` (None = everything); returns the token."""
    scope_path = "/" if scope is None else path_of(session=session, code=scope)
    if scope_path is None:
        raise BadInputError(f"scope: no grid node with code {scope!r}", loc=("body", "scope"))
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"user {username!r} already exists")
    user = User(username=username, role=role.value, scope_path=scope_path, created_at=datetime.now(UTC))
    token = issue_token(user)
    session.add(user)
    session.flush()
    return user, token


def principal_for_token(*, session: Session, token: str) -> Principal:
    """The user a token belongs to; 401 when unknown or disabled."""
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    if user is None or user.disabled_at is not None:
        raise NotAuthenticatedError("unknown or disabled user token")
    return Principal(user.id, user.username, Role(user.role), user.scope_path)
