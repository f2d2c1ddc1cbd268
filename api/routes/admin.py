"""Devices and users, for admins."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminDep, GlobalAdminDep, SessionDep
from api.errors import ForbiddenError
from api.logic.roles import Role, in_scope
from api.services.grids import path_of
from api.services.principals import create_device, create_user, revoke_device

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class DeviceIn(BaseModel):
    """A device to register."""

    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")
    kind: str = Field(description="edge, camera or sensor")
    name: str = Field(default="", max_length=128)
    parent_device_id: str | None = Field(default=None, description="The edge box a camera/sensor hangs off")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class DeviceCreated(BaseModel):
    """The new device; `token` is shown only this once (edge boxes only)."""

    device_id: str
    kind: str
    token: str | None


class UserIn(BaseModel):
    """A user to create."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    role: Role
    scope: str | None = Field(default=None, description="Grid code of the subtree; null = everything")


class UserCreated(BaseModel):
    """The new user; `token` is shown only this once."""

    username: str
    role: Role
    scope_path: str
    token: str


@router.post("/devices", status_code=201)
def post_device(body: DeviceIn, session: SessionDep, _admin: GlobalAdminDep) -> DeviceCreated:
    """Register an edge box, camera or sensor."""
    device, token = create_device(session=session, **body.model_dump())
    session.commit()
    return DeviceCreated(device_id=device.device_id, kind=device.kind, token=token)


@router.post("/devices/{device_id}/revoke")
def post_revoke(device_id: str, session: SessionDep, _admin: GlobalAdminDep) -> dict[str, str]:
    """Revoke an edge box's token; its alerts are refused from now on."""
    device = revoke_device(session=session, device_id=device_id)
    session.commit()
    return {"device_id": device.device_id, "revoked_at": str(device.revoked_at)}


@router.post("/users", status_code=201)
def post_user(body: UserIn, session: SessionDep, admin: AdminDep) -> UserCreated:
    """Create a user inside your own scope."""
    wanted = "/" if body.scope is None else path_of(session=session, code=body.scope)
    if wanted is not None and not in_scope(admin.scope_path, wanted):
        raise ForbiddenError(f"scope {body.scope!r} lies outside your own scope")
    user, token = create_user(session=session, username=body.username, role=body.role, scope=body.scope)
    session.commit()
    return UserCreated(username=user.username, role=Role(user.role), scope_path=user.scope_path, token=token)
