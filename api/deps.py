"""Dependency aliases for the routes: context, alert and heartbeat writers, session, authenticated user
or device, admin. Routes reach the running instance only through these (never `app.state`).

The two hottest routes (`POST /v1/alerts`, the heartbeat) call `get_ctx`, `get_committer` and
`get_heartbeats` themselves: they check the token before reading the body, and FastAPI's dependency
solving would cost more than storing an alert does (`bench/api.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from sqlalchemy.orm import Session

from api.context import ApiContext
from api.errors import ForbiddenError
from api.logic.roles import WEBHOOK_ROLES, Role
from api.orm import Device
from api.security import bearer
from api.services.batcher import GroupCommitter
from api.services.ingest import Accepted, IngestItem
from api.services.principals import Principal, device_for_token, principal_for_token
from gridwatch.contracts.heartbeat import Heartbeat

AlertWriter = GroupCommitter[IngestItem, Accepted]
"""The batching writer of posted alerts (one commit per batch), started by the app's lifespan."""
HeartbeatWriter = GroupCommitter[tuple[str, Heartbeat], bool]
"""The batching writer of heartbeats (device id, heartbeat) → whether the box came back online."""


def context_of(app: FastAPI) -> ApiContext:
    """The context the app factory built for `app`."""
    ctx = app.state.ctx
    assert isinstance(ctx, ApiContext)
    return ctx


def get_ctx(request: Request) -> ApiContext:
    """The context of the app serving the request."""
    return context_of(request.app)


CtxDep = Annotated[ApiContext, Depends(get_ctx)]


def get_committer(request: Request) -> AlertWriter:
    """The alert writer the app's lifespan started."""
    committer = request.app.state.committer
    assert isinstance(committer, GroupCommitter)
    return committer


def get_heartbeats(request: Request) -> HeartbeatWriter:
    """The heartbeat writer the app's lifespan started."""
    heartbeats = request.app.state.heartbeats
    assert isinstance(heartbeats, GroupCommitter)
    return heartbeats


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


def get_subscriber(principal: PrincipalDep) -> Principal:
    """A case-system client or an admin (webhook subscriptions)."""
    if principal.role not in WEBHOOK_ROLES:
        raise ForbiddenError(f"role {principal.role.value} may not manage webhooks")
    return principal


SubscriberDep = Annotated[Principal, Depends(get_subscriber)]


def get_device(
    session: SessionDep,
    authorization: Annotated[str | None, Header(description="Bearer <device token>")] = None,
) -> Device:
    """The edge box behind the bearer token; 401 unknown, 403 revoked."""
    return device_for_token(session=session, token=bearer(authorization))


DeviceDep = Annotated[Device, Depends(get_device)]
