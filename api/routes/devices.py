"""The fleet inventory: `/v1/devices…` — boxes with their cameras and sensors, and `me` for a box.

Reads are scoped like events (a user sees the devices inside their grid subtree); writes are for
admins of the whole tree, like box registration (`/v1/admin/devices`). `GET /v1/devices/me` lets an
edge box ask who the centre thinks it is (`gridwatch doctor` checks a config's URL and token).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from api.deps import CtxDep, DeviceDep, GlobalAdminDep, PrincipalDep, SessionDep, get_ctx, get_heartbeats
from api.errors import ForbiddenError, NotFoundError, PayloadTooLargeError
from api.routes.bodies import parse_body, read_by_hand
from api.schemas.devices import (
    BoxOut,
    DeviceOut,
    DevicePatch,
    DeviceSelf,
    HeartbeatTaken,
    ImportResult,
    SourceIn,
    SourceRow,
)
from api.schemas.errors import AUTHENTICATED, BODY, CONFLICT, INVALID, NOT_FOUND, ROLE_GATED, ErrorOut
from api.schemas.paths import BoxPath, SourcePath
from api.security import bearer
from api.services import inventory
from api.services.fleet_view import box_out, device_out, listing
from gridwatch.contracts.heartbeat import MAX_HEARTBEAT_JSON_BYTES, Heartbeat

router = APIRouter(prefix="/v1/devices", tags=["devices"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or unknown device token"},
    403: {"model": ErrorOut, "description": "The device's token is revoked"},
}
MAX_IMPORT_ROWS = 10_000


@router.get("/me", responses=ERRORS)
def get_me(device: DeviceDep) -> DeviceSelf:
    """The calling edge box (device token); a cheap check of an edge config's URL and token."""
    return DeviceSelf(
        device_id=device.device_id, kind=device.kind, name=device.name, lon=device.lon, lat=device.lat,
        registered_at=device.created_at,
    )  # fmt: skip


@router.post(
    "/me/heartbeat",
    responses={**ERRORS, **INVALID, 413: {"model": ErrorOut, "description": "Body over 256 KiB"}},
    openapi_extra=read_by_hand("Heartbeat"),
)
async def post_heartbeat(request: Request) -> HeartbeatTaken:
    """The calling box's status (every `heartbeat_s`); a box silent past the timeout goes offline."""
    device_id = await get_ctx(request).device_tokens.check(bearer(request.headers.get("authorization")))
    body = await request.body()
    if len(body) > MAX_HEARTBEAT_JSON_BYTES:
        raise PayloadTooLargeError(
            f"a heartbeat is at most {MAX_HEARTBEAT_JSON_BYTES} bytes; got {len(body)}"
        )
    beat = parse_body(Heartbeat, body)
    if beat.device_id != device_id:
        raise ForbiddenError(f"token of {device_id!r} cannot post a heartbeat for {beat.device_id!r}")
    came_back = await get_heartbeats(request).submit((device_id, beat))  # one commit per batch
    return HeartbeatTaken(received_at=_now(), came_back=came_back)


@router.get("", responses=AUTHENTICATED)
def get_devices(
    session: SessionDep,
    principal: PrincipalDep,
    kind: Annotated[str | None, Query(pattern="^(edge|camera|sensor)$", description="Only this kind")] = None,
    state: Annotated[
        str | None, Query(pattern="^(online|offline|unknown)$", description="Only this state")
    ] = None,
) -> list[DeviceOut]:
    """Boxes, cameras and sensors in your scope: offline first, then by box and id."""
    return listing(session=session, principal=principal, kind=kind, state=state)


@router.post("/import", responses={**ROLE_GATED, **BODY})
def post_import(
    rows: Annotated[list[SourceRow], Field(max_length=MAX_IMPORT_ROWS)],
    ctx: CtxDep,
    session: SessionDep,
    _admin: GlobalAdminDep,
) -> ImportResult:
    """Create or update many sources at once; one bad row refuses the whole list (row and field named)."""
    created, updated = inventory.import_sources(session=session, grids=ctx.grids, rows=rows, now=_now())
    session.commit()
    return ImportResult(created=created, updated=updated)


@router.get("/{box_id}", responses={**AUTHENTICATED, **NOT_FOUND})
def get_box(box_id: BoxPath, session: SessionDep, principal: PrincipalDep) -> BoxOut:
    """A box in your scope with its latest heartbeat and its sources in your scope."""
    found = inventory.visible_box(session=session, principal=principal, box_id=box_id)
    return box_out(session=session, principal=principal, box=found)


@router.patch("/{box_id}", responses={**ROLE_GATED, **BODY, **NOT_FOUND})
def patch_box(
    box_id: BoxPath, patch: DevicePatch, ctx: CtxDep, session: SessionDep, admin: GlobalAdminDep
) -> BoxOut:
    """Change a box's name, location, GB id or notes."""
    found = inventory.box(session=session, box_id=box_id)
    inventory.update_device(session=session, grids=ctx.grids, device=found, patch=patch, now=_now())
    session.commit()
    return box_out(session=session, principal=admin, box=found)


@router.post("/{box_id}/sources", status_code=201, responses={**ROLE_GATED, **BODY, **NOT_FOUND, **CONFLICT})
def post_source(
    box_id: BoxPath, spec: SourceIn, ctx: CtxDep, session: SessionDep, _admin: GlobalAdminDep
) -> DeviceOut:
    """Register a camera or sensor of a box; its alerts are accepted from then on."""
    created = inventory.add_source(session=session, grids=ctx.grids, box_id=box_id, spec=spec, now=_now())
    session.commit()
    return device_out(created)


@router.get("/{box_id}/sources/{source_id}", responses={**AUTHENTICATED, **NOT_FOUND})
def get_source(
    box_id: BoxPath, source_id: SourcePath, session: SessionDep, principal: PrincipalDep
) -> DeviceOut:
    """One camera or sensor of a box, if it lies in your scope."""
    found = inventory.source(session=session, box_id=box_id, source_id=source_id)
    if not (found.grid_path or "").startswith(principal.scope_path):
        raise NotFoundError(f"box {box_id!r} has no source {source_id!r} in your scope")
    return device_out(found)


@router.patch("/{box_id}/sources/{source_id}", responses={**ROLE_GATED, **BODY, **NOT_FOUND})
def patch_source(
    box_id: BoxPath,
    source_id: SourcePath,
    patch: DevicePatch,
    ctx: CtxDep,
    session: SessionDep,
    _admin: GlobalAdminDep,
) -> DeviceOut:
    """Change a source's name, registered location, GB id or notes (new alerts use the new location)."""
    found = inventory.source(session=session, box_id=box_id, source_id=source_id)
    inventory.update_device(session=session, grids=ctx.grids, device=found, patch=patch, now=_now())
    session.commit()
    return device_out(found)


def _now() -> datetime:
    return datetime.now(UTC)
