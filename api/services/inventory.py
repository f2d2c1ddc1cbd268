"""The fleet inventory: a box's cameras and sensors registered at the centre, read in scope.

A source's registered location is what places the events of its alerts (`api.services.ingest`), so
every write here also records which 网格 cell the location lies in; scoped reads use that path the
way events use theirs: a user sees the sources inside their subtree, and the boxes with a source
(or their own location) there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from api.errors import BadInputError, ConflictError, NotFoundError
from api.logic.gridstate import GridState
from api.orm import Device
from api.schemas.devices import DevicePatch, SourceIn, SourceRow
from api.services.grids import grid_revision, load_index
from api.services.principals import Principal

EDGE = "edge"


def box(*, session: Session, box_id: str) -> Device:
    """The edge box `box_id`; 404 naming it when there is none."""
    found = session.scalar(
        select(Device).where(Device.device_id == box_id, Device.parent_device_id.is_(None))
    )
    if found is None or found.kind != EDGE:
        raise NotFoundError(f"no edge box {box_id!r}")
    return found


def source(*, session: Session, box_id: str, source_id: str) -> Device:
    """Source `source_id` of box `box_id`; 404 naming both when there is none."""
    found = session.scalar(
        select(Device).where(Device.parent_device_id == box_id, Device.device_id == source_id)
    )
    if found is None:
        raise NotFoundError(f"box {box_id!r} has no source {source_id!r}")
    return found


def sources_of(*, session: Session, box_ids: Iterable[str]) -> list[Device]:
    """The sources of these boxes, by box then id."""
    query = select(Device).where(Device.parent_device_id.in_(sorted(set(box_ids))))
    return list(session.scalars(query.order_by(Device.parent_device_id, Device.device_id)))


def source_index(*, session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Device]:
    """The registered sources among (box id, source id) pairs, in one query (the alert hot path)."""
    if not pairs:
        return {}
    boxes = {b for b, _ in pairs}
    ids = {s for _, s in pairs}
    rows = session.scalars(
        select(Device).where(Device.parent_device_id.in_(sorted(boxes)), Device.device_id.in_(sorted(ids)))
    )
    return {(d.parent_device_id or "", d.device_id): d for d in rows}


def place(*, session: Session, grids: GridState, device: Device) -> None:
    """Record the 网格 cell and path of the device's registered location (index kept current)."""
    if device.lon is None or device.lat is None:
        device.cell_code, device.grid_path = None, None
        return
    if grids.revision != grid_revision(session=session):
        load_index(session=session, state=grids)
    device.cell_code, device.grid_path = grids.locate(device.lon, device.lat)


def add_source(*, session: Session, grids: GridState, box_id: str, spec: SourceIn, now: datetime) -> Device:
    """Register a camera or sensor of an existing box; 404 no box, 409 the id is taken in that box."""
    box(session=session, box_id=box_id)
    taken = select(Device.id).where(Device.parent_device_id == box_id, Device.device_id == spec.source_id)
    if session.scalar(taken) is not None:
        raise ConflictError(f"box {box_id!r} already has a source {spec.source_id!r}")
    device = Device(
        device_id=spec.source_id,
        kind=spec.kind.value,
        name=spec.name,
        parent_device_id=box_id,
        lon=spec.lon,
        lat=spec.lat,
        gb_id=spec.gb_id,
        notes=spec.notes,
        created_at=now,
    )
    place(session=session, grids=grids, device=device)
    session.add(device)
    session.flush()
    return device


def update_device(
    *, session: Session, grids: GridState, device: Device, patch: DevicePatch, now: datetime
) -> Device:
    """Apply the fields given in `patch`; a location must keep both coordinates (or neither)."""
    changes = patch.model_dump(exclude_unset=True)
    for field in ("name", "notes"):
        if field in changes and changes[field] is None:
            raise BadInputError(f'{field} cannot be null (send "" to clear it)', loc=("body", field))
    for field, value in changes.items():
        setattr(device, field, value)
    if (device.lon is None) != (device.lat is None):
        missing = "lat" if device.lat is None else "lon"
        raise BadInputError(f"{missing}: a location needs both lon and lat", loc=("body", missing))
    if device.kind != EDGE and device.lon is None:
        raise BadInputError("a camera or sensor keeps a registered location", loc=("body", "lon"))
    place(session=session, grids=grids, device=device)
    device.updated_at = now
    session.flush()
    return device


def import_sources(
    *, session: Session, grids: GridState, rows: Sequence[SourceRow], now: datetime
) -> tuple[int, int]:
    """Create or update every row's source, all or nothing; returns (created, updated).

    Rows are already parsed; here the boxes must exist and a (box, source) pair may appear once.
    """
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=1):
        key = (row.box_id, row.source_id)
        if key in seen:
            raise BadInputError(
                f"row {number}: source {row.source_id!r} of box {row.box_id!r} is also row {seen[key]}",
                loc=("rows", number, "source_id"),
            )
        seen[key] = number
    boxes = {
        d.device_id
        for d in session.scalars(select(Device).where(Device.kind == EDGE, Device.parent_device_id.is_(None)))
    }
    for number, row in enumerate(rows, start=1):
        if row.box_id not in boxes:
            raise BadInputError(
                f"row {number}: box_id {row.box_id!r} is not a registered edge box",
                loc=("rows", number, "box_id"),
            )
    existing = source_index(session=session, pairs=set(seen))
    created = 0
    for row in rows:
        known = existing.get((row.box_id, row.source_id))
        if known is None:
            add_source(session=session, grids=grids, box_id=row.box_id, spec=row, now=now)
            created += 1
        else:
            patch = DevicePatch(**row.model_dump(include={"name", "lon", "lat", "gb_id", "notes"}))
            known.kind = row.kind.value
            update_device(session=session, grids=grids, device=known, patch=patch, now=now)
    return created, len(rows) - created


def visible(principal: Principal) -> ColumnElement[bool]:
    """Devices a user may see by their own location: inside their subtree (the same prefix rule as
    events); a global scope sees every device, located in a cell or not."""
    if principal.scope_path == "/":
        return true()
    return Device.grid_path.startswith(principal.scope_path, autoescape=True)


def visible_boxes(*, session: Session, principal: Principal, box_id: str | None = None) -> list[Device]:
    """The boxes in the user's scope: with a source in it, or located in it; global scope: all."""
    query = select(Device).where(Device.kind == EDGE, Device.parent_device_id.is_(None))
    if box_id is not None:
        query = query.where(Device.device_id == box_id)
    if principal.scope_path != "/":
        with_source = select(Device.parent_device_id).where(
            Device.parent_device_id.is_not(None), visible(principal)
        )
        query = query.where(or_(visible(principal), Device.device_id.in_(with_source)))
    return list(session.scalars(query.order_by(Device.device_id)))


def visible_box(*, session: Session, principal: Principal, box_id: str) -> Device:
    """Box `box_id` if the user may see it; 404 otherwise (scoping answers 404, never 403)."""
    found = next((b for b in visible_boxes(session=session, principal=principal, box_id=box_id)), None)
    if found is not None:
        return found
    raise NotFoundError(f"no edge box {box_id!r} in your scope")


def visible_sources(*, session: Session, principal: Principal, box_ids: Iterable[str]) -> list[Device]:
    """The sources of these boxes that lie in the user's scope."""
    sources = sources_of(session=session, box_ids=box_ids)
    if principal.scope_path == "/":
        return sources
    return [s for s in sources if (s.grid_path or "").startswith(principal.scope_path)]
