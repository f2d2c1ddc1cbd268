"""Devices as users read them (JSON routes and console pages alike): state, last seen, offline first."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.orm import Device
from api.schemas.devices import BoxOut, DeviceOut
from api.services import inventory
from api.services.principals import Principal

STATE_ORDER = {"offline": 0, "unknown": 1, "online": 2}


RUNNING = {"streaming", "finished"}


def state_of(device: Device, box: Device | None = None) -> str:
    """online, offline, or unknown (never reported).

    A box's state is its own (heartbeats, the offline sweep). A source is offline when the box
    reported it so (a `device_offline` alert) or its box is offline; else its box's latest heartbeat
    says: a camera streaming (or a file finished), a sensor that has sent a message, is online.
    """
    if device.parent_device_id is None or device.state == "offline":
        return device.state or "unknown"
    if box is None or box.state != "online" or not box.status:
        return "offline" if box is not None and box.state == "offline" else device.state or "unknown"
    key = "cameras" if device.kind == "camera" else "sensors"
    entry = next((e for e in box.status.get(key, []) if e.get("id") == device.device_id), None)
    if entry is None:
        return device.state or "unknown"
    if key == "cameras":
        return "online" if entry.get("state") in RUNNING else "offline"
    return "online" if entry.get("last_message_at") else "unknown"


def device_out(device: Device, box: Device | None = None) -> DeviceOut:
    """The wire shape of one device (`box`: its box, for a source's state)."""
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
        state=state_of(device, box),
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
        sources=[device_out(s, box) for s in sources],
    )


def listing(
    *, session: Session, principal: Principal, kind: str | None, state: str | None
) -> list[DeviceOut]:
    """Boxes and sources in scope, filtered, offline first, then by box and id."""
    boxes = {b.device_id: b for b in inventory.visible_boxes(session=session, principal=principal)}
    devices = list(boxes.values()) + inventory.visible_sources(
        session=session, principal=principal, box_ids=list(boxes)
    )
    states = {d.id: state_of(d, boxes.get(d.parent_device_id or "")) for d in devices}
    chosen = [
        d for d in devices if (kind is None or d.kind == kind) and (state is None or states[d.id] == state)
    ]
    chosen.sort(
        key=lambda d: (
            STATE_ORDER[states[d.id]],
            d.parent_device_id or d.device_id,
            d.parent_device_id is not None,
            d.device_id,
        )
    )
    return [device_out(d, boxes.get(d.parent_device_id or "")) for d in chosen]
