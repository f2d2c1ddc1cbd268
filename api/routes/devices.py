"""`GET /v1/devices/me`: an edge box asks who the centre thinks it is (stores nothing).

`gridwatch doctor` calls it to check an edge config's API URL and token before the box sends alerts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import DeviceDep
from api.schemas.errors import ErrorOut

router = APIRouter(prefix="/v1/devices", tags=["devices"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or unknown device token"},
    403: {"model": ErrorOut, "description": "The device's token is revoked"},
}


class DeviceSelf(BaseModel):
    """The edge box a device token belongs to, as registered at the centre."""

    device_id: str = Field(description="The id alerts must carry as `device_id`")
    kind: str = Field(description="Always `edge`: only edge boxes hold tokens")
    name: str = Field(description="Human-readable name given at registration")
    lon: float | None = Field(description="Registered longitude, if any")
    lat: float | None = Field(description="Registered latitude, if any")
    registered_at: datetime = Field(description="When the box was registered")


@router.get("/me", responses=ERRORS)
def get_me(device: DeviceDep) -> DeviceSelf:
    """The calling edge box (device token); a cheap check of an edge config's URL and token."""
    return DeviceSelf(
        device_id=device.device_id, kind=device.kind, name=device.name, lon=device.lon, lat=device.lat,
        registered_at=device.created_at,
    )  # fmt: skip
