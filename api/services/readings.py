"""Sensor readings around an event: what the alerts of its sensors carried, before and after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.orm import AlertRow, Event
from api.services.events import scoped
from api.services.principals import Principal

AROUND = timedelta(hours=6)


@dataclass(frozen=True)
class ReadingPoint:
    """One numeric reading of one sensor, and the alert that carried it."""

    source_id: str
    name: str
    unit: str
    at: datetime
    value: float
    alert_id: str


def readings_around(
    *, session: Session, principal: Principal, event: Event, around: timedelta = AROUND
) -> list[ReadingPoint]:
    """Numeric readings carried by alerts of the event's sensors within `around` of it (in scope), by time."""
    sensors = select(AlertRow.source_id).where(
        AlertRow.event_id == event.id, AlertRow.payload["source_kind"].as_string() == "sensor"
    )
    visible = scoped(principal).with_only_columns(Event.id).subquery()
    rows = session.execute(
        select(AlertRow.alert_id, AlertRow.source_id, AlertRow.observed_at, AlertRow.payload)
        .where(
            AlertRow.source_id.in_(sensors),
            AlertRow.event_id.in_(select(visible.c.id)),
            AlertRow.observed_at >= event.first_seen - around,
            AlertRow.observed_at <= event.last_seen + around,
        )
        .order_by(AlertRow.observed_at)
    )
    points: list[ReadingPoint] = []
    for alert_id, source_id, observed_at, payload in rows:
        for reading in (payload.get("evidence") or {}).get("readings") or []:
            value = reading.get("value")
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            at = datetime.fromisoformat(reading["at"]) if reading.get("at") else observed_at
            points.append(
                ReadingPoint(
                    source_id, str(reading["name"]), str(reading.get("unit", "")), at, float(value), alert_id
                )
            )
    return sorted(points, key=lambda p: p.at)
