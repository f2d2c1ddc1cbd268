"""Heartbeats of edge boxes: the latest status and a short history; silence past the timeout makes
a box offline and raises its maintenance event, its next heartbeat clears it.

The history is trimmed to the newest `heartbeat_history` per box at every sweep (between two sweeps a
box holds at most that many plus what it sent meanwhile). Both transitions are conditional UPDATEs
(`state` from online to offline and back), so with several replicas exactly one of them raises or
clears; the sweep itself runs on the leading replica. The maintenance event is an ordinary
`device_offline` alert raised by the centre (`IngestItem.system`) at the registered location of the
box's cameras, so it follows the same path as the camera and sensor faults a box reports
(`api.services.faults`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from api.db import JsonText
from api.orm import Base, Device, Heartbeat
from gridwatch.contracts.alert import (
    Alert,
    AlertKind,
    AlertPhase,
    Location,
    Severity,
    SourceKind,
    make_alert_id,
)
from gridwatch.contracts.heartbeat import Heartbeat as HeartbeatIn

logger = logging.getLogger(__name__)

ONLINE, OFFLINE = "online", "offline"
DEVICES = Base.metadata.tables[Device.__tablename__]
HEARTBEATS = Base.metadata.tables[Heartbeat.__tablename__]


def record_heartbeat(*, session: Session, box_id: str, beat: HeartbeatIn, now: datetime) -> bool | None:
    """Keep `beat` as the box's latest status and in its history; None when there is no such box, True
    when the box was offline until now (the caller clears its fault). Core statements: the hot path."""
    connection = session.connection()
    box = connection.execute(
        select(DEVICES.c.id, DEVICES.c.state).where(
            DEVICES.c.device_id == box_id, DEVICES.c.parent_device_id.is_(None), DEVICES.c.kind == "edge"
        )
    ).first()
    if box is None:
        return None
    came_back = box.state == OFFLINE and bool(
        connection.execute(
            update(DEVICES).where(DEVICES.c.id == box.id, DEVICES.c.state == OFFLINE).values(state=ONLINE)
        ).rowcount
    )
    status = JsonText(beat.model_dump_json())
    connection.execute(
        update(DEVICES).where(DEVICES.c.id == box.id).values(state=ONLINE, last_seen_at=now, status=status)
    )
    connection.execute(insert(HEARTBEATS).values(device_id=box_id, received_at=now, status=status))
    return came_back


def trim_history(*, session: Session, keep: int) -> int:
    """Drop every box's heartbeats beyond its newest `keep` (run with the sweep); how many."""
    ranked = select(
        Heartbeat.id,
        func.row_number().over(partition_by=Heartbeat.device_id, order_by=Heartbeat.id.desc()).label("rank"),
    ).subquery()
    old = select(ranked.c.id).where(ranked.c.rank > keep)
    return int(session.execute(delete(Heartbeat).where(Heartbeat.id.in_(old))).rowcount)  # type: ignore[attr-defined]


def history(*, session: Session, box_id: str, limit: int) -> list[Heartbeat]:
    """The box's newest heartbeats first."""
    query = select(Heartbeat).where(Heartbeat.device_id == box_id).order_by(Heartbeat.id.desc()).limit(limit)
    return list(session.scalars(query))


def mark_silent(*, session: Session, now: datetime, timeout: timedelta) -> list[str]:
    """Turn boxes online but silent longer than `timeout` offline; their ids (each only once)."""
    silent = (
        update(Device)
        .where(
            Device.kind == "edge",
            Device.parent_device_id.is_(None),
            Device.state == ONLINE,
            Device.last_seen_at < now - timeout,
        )
        .values(state=OFFLINE)
        .returning(Device.device_id)
    )
    return sorted(session.scalars(silent).all())


def where_box_is(*, session: Session, box_id: str) -> Location | None:
    """Where a box's faults are placed: its first camera (else sensor) by id, else its own location."""
    rows = session.execute(
        select(Device.kind, Device.lon, Device.lat)
        .where(Device.parent_device_id == box_id, Device.lon.is_not(None))
        .order_by(Device.kind, Device.device_id)
    ).all()
    own = session.execute(
        select(Device.lon, Device.lat).where(Device.device_id == box_id, Device.parent_device_id.is_(None))
    ).first()
    for row in [*rows, own]:
        if row is not None and row.lon is not None and row.lat is not None:
            return Location(lon=row.lon, lat=row.lat)
    return None


def box_fault_alert(*, box_id: str, location: Location, phase: AlertPhase, now: datetime) -> Alert:
    """The `device_offline` alert the centre raises (or clears) for a silent box."""
    return Alert(
        alert_id=make_alert_id(box_id, "centre", phase.value, now.isoformat()),
        device_id=box_id,
        source_id=box_id,
        source_kind=SourceKind.EDGE,
        kind=AlertKind.DEVICE_OFFLINE,
        phase=phase,
        severity=Severity.MEDIUM,
        observed_at=now,
        location=location,
        rule="heartbeat",
        details={"raised_by": "centre"},
    )
