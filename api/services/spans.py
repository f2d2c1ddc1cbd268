"""Open events as correlation sees them: a few columns, updated in memory, written back in one go.

Loading whole ORM events for every batch costs more than the alerts themselves; a span holds only
what correlation needs and turns into one executemany UPDATE (`alert_count = alert_count + n`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, text, tuple_, update
from sqlalchemy.orm import Session

from api.db import begin_write
from api.logic.correlation import OpenEvent, most_severe
from api.logic.lifecycle import OPEN_STATUSES
from api.orm import Base, Event
from gridwatch.contracts.alert import Severity

EVENTS = Base.metadata.tables["events"]


@dataclass
class EventSpan:
    """An open event's id, code and seen-span, plus the alerts joined to it in this batch."""

    event_id: int
    code: str
    first_seen: datetime
    last_seen: datetime
    severity: Severity
    clock_flagged: bool = False
    added: int = 0

    def as_open_event(self) -> OpenEvent:
        """The value correlation decides on."""
        return OpenEvent(self.event_id, self.first_seen, self.last_seen)

    def join(self, seen_at: datetime, severity: Severity, *, clock_flagged: bool = False) -> None:
        """Count one more alert seen at `seen_at` (flagged when its own clock was not believed)."""
        self.added += 1
        self.first_seen = min(self.first_seen, seen_at)
        self.last_seen = max(self.last_seen, seen_at)
        self.severity = most_severe(self.severity, severity)
        self.clock_flagged = self.clock_flagged or clock_flagged


def lock_keys(session: Session, pairs: set[tuple[str, str]]) -> None:
    """Make concurrent writers (several API processes) correlate one at a time; call it first.

    PostgreSQL: a transaction-scoped advisory lock per (type, key), taken in sorted order.
    SQLite: BEGIN IMMEDIATE, so the batch reads what it writes under the single write lock.
    """
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        for type_code, key in sorted(pairs):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{type_code}|{key}"})


def load_spans(
    session: Session, pairs: set[tuple[str, str]], *, seen_since: datetime
) -> dict[tuple[str, str], list[EventSpan]]:
    """Spans of the open events of each (type, correlation key) last seen after `seen_since`, in one
    query for the whole batch (older open events cannot be joined, so they are not loaded)."""
    found: dict[tuple[str, str], list[EventSpan]] = {pair: [] for pair in pairs}
    rows = session.execute(
        select(
            Event.id,
            Event.code,
            Event.type_code,
            Event.correlation_key,
            Event.first_seen,
            Event.last_seen,
            Event.severity,
            Event.clock_flagged,
        ).where(
            tuple_(Event.type_code, Event.correlation_key).in_(sorted(pairs)),
            Event.status.in_(OPEN_STATUSES),
            Event.last_seen >= seen_since,
        )
    )
    for r in rows:
        span = EventSpan(r.id, r.code, r.first_seen, r.last_seen, Severity(r.severity), r.clock_flagged)
        found[(r.type_code, r.correlation_key)].append(span)
    return found


def latest_span(session: Session, type_code: str, key: str) -> EventSpan | None:
    """The most recently seen event of (type, key) whatever its status, or None."""
    row = session.execute(
        select(Event.id, Event.code, Event.first_seen, Event.last_seen, Event.severity, Event.clock_flagged)
        .where(Event.type_code == type_code, Event.correlation_key == key)
        .order_by(Event.last_seen.desc(), Event.id.desc())
        .limit(1)
    ).first()
    return (
        None
        if row is None
        else EventSpan(
            row.id, row.code, row.first_seen, row.last_seen, Severity(row.severity), row.clock_flagged
        )
    )


def write_spans(session: Session, spans: Iterable[EventSpan]) -> None:
    """One UPDATE for every span that alerts joined."""
    changed = [
        {
            "eid": s.event_id,
            "n": s.added,
            "first": s.first_seen,
            "last": s.last_seen,
            "sev": s.severity.value,
            "flag": s.clock_flagged,
        }
        for s in spans
        if s.added
    ]
    if not changed:
        return
    stmt = (
        update(EVENTS)
        .where(EVENTS.c.id == bindparam("eid"))
        .values(
            alert_count=EVENTS.c.alert_count + bindparam("n"),
            first_seen=bindparam("first", type_=EVENTS.c.first_seen.type),
            last_seen=bindparam("last", type_=EVENTS.c.last_seen.type),
            severity=bindparam("sev"),
            clock_flagged=bindparam("flag"),
        )
    )
    session.connection().execute(stmt, changed)
