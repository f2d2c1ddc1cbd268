"""The devices page (`/devices`: boxes, cameras, sensors, offline first, filters in the URL) and a
box's page (`/devices/<box>`: its latest heartbeat and its sources) — the JSON routes' services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Response

from api.console.deps import PageDep, mark_console
from api.console.nav import NAV, NavItem
from api.console.templating import duration
from api.deps import CtxDep
from api.errors import BadInputError
from api.schemas.devices import BoxOut, DeviceOut
from api.services import inventory
from api.services.fleet_view import box_out, listing

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])
NAV.append(NavItem("devices", "/devices", prefixes=("/devices/",)))

KINDS = ("edge", "camera", "sensor")
STATES = ("offline", "online", "unknown")


@dataclass(frozen=True)
class DevicesView:
    """What the devices page shows."""

    kind: str
    state: str
    devices: list[DeviceOut]
    total: int
    offline: int


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value and value not in allowed:
        raise BadInputError(f"{name} {value!r} is not one of {', '.join(allowed)}", loc=("query", name))
    return value


@router.get("/devices")
def devices_page(ctx: CtxDep, page: PageDep, kind: str = "", state: str = "") -> Response:
    """Every box, camera and sensor in the user's scope."""
    assert page.login is not None
    kind, state = _choice("kind", kind, KINDS), _choice("state", state, STATES)
    with ctx.sessions() as session:
        every = listing(session=session, principal=page.login.principal, kind=None, state=None)
    shown = [d for d in every if kind in ("", d.kind) and state in ("", d.state)]
    offline = sum(d.state == "offline" for d in every)
    return page.render("devices.html", view=DevicesView(kind, state, shown, len(every), offline))


@dataclass(frozen=True)
class SourceRow:
    """One source on a box's page, with what the latest heartbeat says of it."""

    device: DeviceOut
    reported: dict[str, Any]


@router.get("/devices/{box_id}")
def box_page(box_id: str, ctx: CtxDep, page: PageDep) -> Response:
    """One box: its latest heartbeat and its cameras and sensors (404 outside the user's scope)."""
    assert page.login is not None
    principal = page.login.principal
    with ctx.sessions() as session:
        found = inventory.visible_box(session=session, principal=principal, box_id=box_id)
        box = box_out(session=session, principal=principal, box=found)
    uptime = lambda seconds: duration(page.t, timedelta(seconds=seconds))  # noqa: E731
    return page.render("device_box.html", box=box, sources=_rows(box), duration_s=uptime)


def _rows(box: BoxOut) -> list[SourceRow]:
    status = box.status or {}
    reported = {(k, e.get("id")): e for k in ("cameras", "sensors") for e in status.get(k, [])}
    return [
        SourceRow(s, reported.get(("cameras" if s.kind == "camera" else "sensors", s.device_id), {}))
        for s in box.sources
    ]
