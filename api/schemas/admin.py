"""Admin bodies: devices, users, their one-time tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.logic.roles import Role
from gridwatch.contracts.alert import NO_NUL, Identifier, Label


class DeviceIn(BaseModel):
    """A device to register."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    device_id: Identifier
    kind: str = Field(max_length=16, description="edge, camera or sensor")
    name: str = Field(default="", max_length=128, pattern=NO_NUL)
    parent_device_id: Identifier | None = Field(
        default=None, description="The edge box a camera/sensor hangs off"
    )
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class DeviceCreated(BaseModel):
    """The new device; `token` is shown only this once (edge boxes only)."""

    device_id: str
    kind: str
    token: str | None


class DeviceRevoked(BaseModel):
    """A device whose token no longer works."""

    device_id: str
    revoked_at: datetime


class DeviceToken(BaseModel):
    """A fresh device token, shown only this once."""

    device_id: str
    token: str


class UserIn(BaseModel):
    """A user to create."""

    model_config = ConfigDict(extra="forbid")

    username: Label
    role: Role
    scope: str | None = Field(
        default=None, max_length=64, pattern=NO_NUL, description="Grid code of the subtree; null = all"
    )


class UserCreated(BaseModel):
    """The new user; `token` is shown only this once."""

    username: str
    role: Role
    scope_path: str
    token: str


class UserOut(BaseModel):
    """A user as admins see them (never the token)."""

    model_config = ConfigDict(from_attributes=True)

    username: str
    role: Role
    scope_path: str
    disabled_at: datetime | None


class UserToken(BaseModel):
    """A fresh user token, shown only this once."""

    username: str
    token: str


class AuditOut(BaseModel):
    """One audited access change."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    target_kind: str
    target: str
    data: dict[str, Any]
