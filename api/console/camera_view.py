"""The camera page's view model: where the camera is, its zones, lines and rules in the box's newest
configuration, and its newest picture; who may edit them (admins of the whole tree)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.errors import NotFoundError
from api.logic.gridstate import GridState
from api.logic.roles import Role
from api.orm import BoxConfigVersion
from api.services.box_config import get_config
from api.services.camera_snapshots import camera_snapshot
from api.services.principals import Principal

BLANK_SIZE = (1920, 1080)
"""Drawing area before the box has sent a picture (points are in the camera's pixels)."""


@dataclass(frozen=True)
class CameraView:
    """Everything the camera page shows."""

    box: str
    camera_id: str
    name: str
    lon: float
    lat: float
    cell: str | None
    version: int
    saved_by: str
    saved_at: datetime
    rules: dict[str, Any]
    picture_at: datetime | None
    width: int
    height: int
    editable: bool

    @property
    def rules_json(self) -> str:
        """The zones, lines and rules for the editor's script (a data attribute)."""
        return json.dumps(self.rules, ensure_ascii=False)

    @property
    def zone_names(self) -> list[str]:
        """Names of the camera's zones, in order (tests and the page's summary)."""
        return [str(zone["name"]) for zone in self.rules.get("zones", [])]


def may_edit(principal: Principal) -> bool:
    """Admins of the whole grid tree edit box configurations (as through the API)."""
    return principal.role is Role.ADMIN and principal.scope_path == "/"


def camera_entry(row: BoxConfigVersion, camera_id: str) -> tuple[int, dict[str, Any]]:
    """The camera's index and entry in the version's document; NotFoundError when it has none."""
    for index, camera in enumerate(row.document.get("cameras", [])):
        if isinstance(camera, dict) and camera.get("id") == camera_id:
            return index, camera
    raise NotFoundError(f"camera {camera_id!r} is not in box {row.device_id!r}'s configuration")


def build_camera(
    *, session: Session, grids: GridState, principal: Principal, box: str, camera_id: str
) -> CameraView:
    """The view of one camera; NotFoundError for a box, camera or place outside the user's scope."""
    row = get_config(session=session, device_id=box)
    _index, camera = camera_entry(row, camera_id)
    location = camera.get("location") or {}
    lon, lat = float(location.get("lon", 0.0)), float(location.get("lat", 0.0))
    cell, path = grids.locate(lon, lat)
    if principal.scope_path != "/" and not (path or "").startswith(principal.scope_path):
        raise NotFoundError(f"camera {camera_id!r} is outside your scope")
    picture = camera_snapshot(session=session, device_id=box, camera_id=camera_id)
    width, height = (picture.width, picture.height) if picture is not None else BLANK_SIZE
    return CameraView(
        box=box, camera_id=camera_id, name=str(camera.get("name") or camera_id), lon=lon, lat=lat, cell=cell,
        version=row.version, saved_by=row.created_by, saved_at=row.created_at,
        rules=dict(camera.get("rules") or {}), picture_at=None if picture is None else picture.taken_at,
        width=width, height=height, editable=may_edit(principal),
    )  # fmt: skip
