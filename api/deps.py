"""Dependency aliases for the routes: context, session, authenticated user or device, admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from api.context import ApiContext
from api.errors import ForbiddenError
from api.logic.roles import Role
from api.orm import Device
from api.security import bearer
from api.services.principals import Principal, device_for_token, principal_for_token


def get_ctx(request: Request) -> ApiContext:
    """The context the app factory built."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, ApiContext)
    return ctx


CtxDep = Annotated[ApiContext, Depends(get_ctx)]


def get_session(ctx: CtxDep) -> Iterator[Session]:
    """A session per request; routes commit what they change."""
    with ctx.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    session: SessionDep,
    authorization: Annotated[str | None, Header(description="Bearer <user token>")] = None,
) -> Principal:
    """The user behind the bearer token; 401 otherwise."""
    return principal_for_token(session=session, token=bearer(authorization))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_admin(principal: PrincipalDep) -> Principal:
    """An admin; 403 for other roles."""
    if principal.role is not Role.ADMIN:
        raise ForbiddenError(f"role {principal.role.value} may not use admin routes")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


def get_global_admin(admin: AdminDep) -> Principal:
    """An admin whose scope is the whole tree (grids and devices are centre-wide)."""
    if admin.scope_path != "/":
        raise ForbiddenError("only an admin scoped to the whole grid tree may change grids and devices")
    return admin


GlobalAdminDep = Annotated[Principal, Depends(get_global_admin)]


def get_device(
    session: SessionDep,
    authorization: Annotated[str | None, Header(description="Bearer <device token>")] = None,
) -> Device:
    """The edge box behind the bearer token; 401 unknown, 403 revoked."""
    return device_for_token(session=session, token=bearer(authorization))


DeviceDep = Annotated[Device, Depends(get_device)]
