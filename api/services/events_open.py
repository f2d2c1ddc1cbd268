"""Opening a new grid event: unified code, SLA deadlines, first history entry, webhooks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.centre import CentreConfig
from api.logic.clocks import compute_deadlines
from api.logic.codes import code_prefix, format_code
from api.logic.correlation import most_severe
from api.logic.lifecycle import Status
from api.orm import CodeCounter, Event, Subscription
from api.services.history import record
from api.services.webhooks import enqueue
from gridwatch.contracts.alert import Alert


def next_seq(*, session: Session, prefix: str) -> int:
    """Hand out the next number for `prefix` atomically; numbers are never handed out twice."""
    bind = session.get_bind()
    dialect = bind.dialect.name if isinstance(bind, Engine) else bind.engine.dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    stmt = (
        insert(CodeCounter)
        .values(prefix=prefix, last=1)
        .on_conflict_do_update(index_elements=["prefix"], set_={"last": CodeCounter.last + 1})
        .returning(CodeCounter.last)
    )
    return int(session.execute(stmt).scalar_one())


def _clock_fields(centre: CentreConfig, type_code: str, now: datetime) -> dict[str, object]:
    event_type = centre.event_types[type_code]
    deadlines = compute_deadlines(
        opened_at=now, sla=event_type.sla, policy=centre.sla, calendar=centre.calendar, zone=centre.zone
    )
    return {
        "created_at": now,
        "ack_due": deadlines.ack_due,
        "feedback_due": deadlines.feedback_due,
        "resolution_due": deadlines.resolution_due,
    }


def _place_fields(
    alert: Alert, key: str, cell_code: str | None, grid_path: str | None, seen_at: datetime
) -> dict[str, object]:
    return {
        "correlation_key": key,
        "cell_code": cell_code,
        "grid_path": grid_path or "/",
        "located": cell_code is not None,
        "responsible_grid": cell_code,
        "lon": alert.location.lon,
        "lat": alert.location.lat,
        "first_seen": seen_at,
        "last_seen": seen_at,
    }


def open_event(
    *,
    session: Session,
    centre: CentreConfig,
    alert: Alert,
    type_code: str,
    key: str,
    cell_code: str | None,
    grid_path: str | None,
    subscriptions: Sequence[Subscription],
    now: datetime,
    seen_at: datetime | None = None,
    clock_flag: str | None = None,
) -> Event:
    """Create the event for `alert`, with its code, deadlines, history entry and webhook deliveries.

    `seen_at` is the time correlation counts the alert at (default its `observed_at`); `clock_flag`
    says why it differs (the alert's own time lay outside the centre's window).
    """
    event_type = centre.event_types[type_code]
    prefix = code_prefix(county=centre.county_code, at=now, type_code=type_code, zone=centre.zone)
    event = Event(
        code=format_code(prefix, next_seq(session=session, prefix=prefix)),
        type_code=type_code,
        category=event_type.category,
        status=Status.NEW.value,
        severity=most_severe(event_type.severity, alert.severity).value,
        alert_count=1,
        escalation_level=0,
        clock_flagged=clock_flag is not None,
        **_place_fields(alert, key, cell_code, grid_path, seen_at or alert.observed_at),
        **_clock_fields(centre, type_code, now),
    )
    session.add(event)
    session.flush()
    notes = [] if cell_code else ["outside every 网格 cell: flagged for the centre"]
    if clock_flag is not None:
        notes.append(
            f"observed_at {alert.observed_at.isoformat()} lies in the {clock_flag} beyond the centre's "
            "window: flagged, correlated by the time received"
        )
    record(
        session=session,
        event=event,
        actor=f"device:{alert.device_id}",
        action="open",
        at=now,
        from_status=None,
        note="; ".join(notes),
        data={"alert_id": alert.alert_id, "device_id": alert.device_id},
    )
    enqueue(session=session, event=event, topic="event.opened", subscriptions=subscriptions, now=now)
    return event
