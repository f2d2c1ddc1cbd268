"""Devices, users, their tokens and the audit log, for admins; every access change is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import AdminDep, CtxDep, GlobalAdminDep, SessionDep
from api.errors import ForbiddenError, NotFoundError
from api.logic.roles import Role, in_scope
from api.orm import User
from api.schemas.admin import (
    AuditOut,
    DeviceCreated,
    DeviceIn,
    DeviceRevoked,
    DeviceToken,
    UserCreated,
    UserIn,
    UserOut,
    UserToken,
)
from api.schemas.errors import BODY, CONFLICT, NOT_FOUND, ROLE_GATED
from api.schemas.paths import DeviceIdPath, UsernamePath
from api.services import access
from api.services.audit import recent
from api.services.grids import path_of
from api.services.principals import Principal, actor_of, create_device, create_user

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ROLE_GATED)


@router.post("/devices", status_code=201, responses={**BODY, **CONFLICT})
def post_device(body: DeviceIn, session: SessionDep, _admin: GlobalAdminDep) -> DeviceCreated:
    """Register an edge box, camera or sensor."""
    device, token = create_device(session=session, **body.model_dump())
    session.commit()
    return DeviceCreated(device_id=device.device_id, kind=device.kind, token=token)


@router.post("/devices/{device_id}/revoke", responses=NOT_FOUND)
def post_revoke(
    device_id: DeviceIdPath, ctx: CtxDep, session: SessionDep, admin: GlobalAdminDep
) -> DeviceRevoked:
    """Revoke an edge box's token; its alerts are refused from now on (rotate to let it back in)."""
    now = datetime.now(UTC)
    device = access.revoke_device_token(session=session, device_id=device_id, actor=actor_of(admin), now=now)
    session.commit()
    ctx.device_tokens.forget()
    assert device.revoked_at is not None
    return DeviceRevoked(device_id=device.device_id, revoked_at=device.revoked_at)


@router.post("/devices/{device_id}/rotate", responses={**NOT_FOUND, **CONFLICT})
def post_rotate_device(
    device_id: DeviceIdPath, ctx: CtxDep, session: SessionDep, admin: GlobalAdminDep
) -> DeviceToken:
    """A new token for an edge box, shown once; the old one stops working (a revocation ends too)."""
    now = datetime.now(UTC)
    device, token = access.rotate_device_token(
        session=session, device_id=device_id, actor=actor_of(admin), now=now
    )
    session.commit()
    ctx.device_tokens.forget()
    return DeviceToken(device_id=device.device_id, token=token)


@router.post("/users", status_code=201, responses={**BODY, **CONFLICT})
def post_user(body: UserIn, session: SessionDep, admin: AdminDep) -> UserCreated:
    """Create a user inside your own scope."""
    wanted = "/" if body.scope is None else path_of(session=session, code=body.scope)
    if wanted is not None and not in_scope(admin.scope_path, wanted):
        raise ForbiddenError(f"scope {body.scope!r} lies outside your own scope")
    user, token = create_user(session=session, username=body.username, role=body.role, scope=body.scope)
    session.commit()
    return UserCreated(username=user.username, role=Role(user.role), scope_path=user.scope_path, token=token)


def _check_user_in_scope(session: SessionDep, admin: Principal, username: str) -> None:
    scope = session.scalar(select(User.scope_path).where(User.username == username))
    if scope is None or not in_scope(admin.scope_path, scope):
        raise NotFoundError(f"no user {username!r} in your scope")


@router.post("/users/{username}/disable", responses={**NOT_FOUND, **CONFLICT})
def post_disable_user(username: UsernamePath, session: SessionDep, admin: AdminDep) -> UserOut:
    """Disable a user of your scope: their token stops working at once."""
    return _set_disabled(session, admin, username, disabled=True)


@router.post("/users/{username}/enable", responses=NOT_FOUND)
def post_enable_user(username: UsernamePath, session: SessionDep, admin: AdminDep) -> UserOut:
    """Enable a disabled user of your scope again (with the token they had)."""
    return _set_disabled(session, admin, username, disabled=False)


def _set_disabled(session: SessionDep, admin: Principal, username: str, *, disabled: bool) -> UserOut:
    _check_user_in_scope(session, admin, username)
    user = access.set_user_disabled(
        session=session, username=username, disabled=disabled, actor=actor_of(admin), now=datetime.now(UTC)
    )
    session.commit()
    return UserOut.model_validate(user)


@router.post("/users/{username}/rotate-token", responses=NOT_FOUND)
def post_rotate_user_token(username: UsernamePath, session: SessionDep, admin: AdminDep) -> UserToken:
    """A new token for a user of your scope, shown once; the old one stops working."""
    _check_user_in_scope(session, admin, username)
    user, token = access.rotate_user_token(
        session=session, username=username, actor=actor_of(admin), now=datetime.now(UTC)
    )
    session.commit()
    return UserToken(username=user.username, token=token)


@router.post("/users/{username}/revoke-token", responses={**NOT_FOUND, **CONFLICT})
def post_revoke_user_token(username: UsernamePath, session: SessionDep, admin: AdminDep) -> UserOut:
    """Make a user's token worthless without a new one (rotate-token issues one)."""
    _check_user_in_scope(session, admin, username)
    user = access.revoke_user_token(
        session=session, username=username, actor=actor_of(admin), now=datetime.now(UTC)
    )
    session.commit()
    return UserOut.model_validate(user)


@router.get("/audit")
def get_audit(
    session: SessionDep, _admin: GlobalAdminDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[AuditOut]:
    """The newest access changes first: who, when, what."""
    return [AuditOut.model_validate(entry) for entry in recent(session=session, limit=limit)]
