"""Devices as users read them (JSON routes and console pages alike): state, last seen, offline first."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.orm import Device
from api.schemas.devices import BoxOut, DeviceOut
from api.services import inventory
from api.services.principals import Principal

STATE_ORDER = {"offline": 0, "unknown": 1, "online": 2}


def state_of(device: Device) -> str:
    """online, offline, or unknown (never reported)."""
    return device.state or "unknown"


def device_out(device: Device) -> DeviceOut:
    """The wire shape of one device."""
    return DeviceOut(
        device_id=device.device_id,
        box_id=device.parent_device_id,
        kind=device.kind,
        name=device.name,
        lon=device.lon,
        lat=device.lat,
        gb_id=device.gb_id,
        notes=device.notes,
        cell_code=device.cell_code,
        state=state_of(device),
        last_seen_at=device.last_seen_at,
        created_at=device.created_at,
        updated_at=device.updated_at,
    )


def box_out(*, session: Session, principal: Principal, box: Device) -> BoxOut:
    """A box with its sources in the user's scope and its latest heartbeat."""
    sources = inventory.visible_sources(session=session, principal=principal, box_ids=[box.device_id])
    return BoxOut(
        **device_out(box).model_dump(),
        revoked=box.revoked_at is not None,
        status=box.status,
        sources=[device_out(s) for s in sources],
    )


def listing(
    *, session: Session, principal: Principal, kind: str | None, state: str | None
) -> list[DeviceOut]:
    """Boxes and sources in scope, filtered, offline first, then by box and id."""
    boxes = inventory.visible_boxes(session=session, principal=principal)
    devices = boxes + inventory.visible_sources(
        session=session, principal=principal, box_ids=[b.device_id for b in boxes]
    )
    chosen = [
        d for d in devices if (kind is None or d.kind == kind) and (state is None or state_of(d) == state)
    ]
    chosen.sort(
        key=lambda d: (
            STATE_ORDER[state_of(d)],
            d.parent_device_id or d.device_id,
            d.parent_device_id is not None,
            d.device_id,
        )
    )
    return [device_out(d) for d in chosen]
