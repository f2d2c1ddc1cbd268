"""The box configuration page (`/devices/{box}/config`, admins of the whole tree): every saved
version with who and when, and the newest version's cameras, each leading to its camera page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Response

from api.console.camera_view import may_edit
from api.console.deps import PageDep, mark_console
from api.deps import CtxDep
from api.errors import ForbiddenError
from api.services.box_config import list_versions

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])


@dataclass(frozen=True)
class CameraRow:
    """One camera of the newest version."""

    id: str
    name: str
    source: str
    zones: int
    lines: int
    rules: int


@dataclass(frozen=True)
class VersionRow:
    """One saved version."""

    version: int
    by: str
    at: datetime
    cameras: int
    sensors: int


def shown_source(camera: dict[str, object]) -> str:
    """The camera's URL with any password masked (or its wvp channel)."""
    url = camera.get("url")
    if not isinstance(url, str):
        return "wvp"
    parts = urlsplit(url)
    if parts.password and "${" not in parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def camera_row(camera: dict[str, object]) -> CameraRow:
    """A camera entry as the table shows it."""
    found = camera.get("rules")
    rules = found if isinstance(found, dict) else {}
    counts = {key: len(rules.get(key, [])) for key in ("zones", "lines", "rules")}
    return CameraRow(
        id=str(camera.get("id")), name=str(camera.get("name") or ""), source=shown_source(camera), **counts
    )


@router.get("/devices/{box}/config")
def box_config_page(box: str, ctx: CtxDep, page: PageDep) -> Response:
    """The box's configuration versions and cameras."""
    assert page.login is not None
    if not may_edit(page.login.principal):
        raise ForbiddenError("only an admin of the whole grid tree may see box configurations")
    with ctx.sessions() as session:
        rows = list_versions(session=session, device_id=box)
    versions = [
        VersionRow(r.version, r.created_by, r.created_at, len(r.document.get("cameras", [])),
                   len(r.document.get("sensors", [])))
        for r in rows
    ]  # fmt: skip
    cameras = [camera_row(c) for c in rows[0].document.get("cameras", [])] if rows else []
    return page.render("box_config.html", box=box, versions=versions, cameras=cameras)
