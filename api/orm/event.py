"""Grid events, their append-only history, 督办 (supervision) records and code counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from api.orm.base import Base, UtcDateTime


class Event(Base):
    """One grid event formed by one or more correlated alerts.

    `clock_flagged`: at least one of its alerts carried an `observed_at` outside the centre's window
    (see `AlertRow.clock_flag`); its seen-span then counts that alert at the time it was received.
    `location_flagged`: at least one of its alerts claimed a location farther from its source's
    registered one than the centre tolerates (the event stays where the source is registered).
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_correlation", "type_code", "correlation_key", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    type_code: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    correlation_key: Mapped[str] = mapped_column(String(80))
    cell_code: Mapped[str | None] = mapped_column(String(64))
    grid_path: Mapped[str] = mapped_column(String(512), index=True)
    located: Mapped[bool] = mapped_column(default=True)
    clock_flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    location_flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    lon: Mapped[float] = mapped_column()
    lat: Mapped[float] = mapped_column()
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    alert_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ack_due: Mapped[datetime] = mapped_column(UtcDateTime)
    feedback_due: Mapped[datetime] = mapped_column(UtcDateTime)
    resolution_due: Mapped[datetime] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    in_progress_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    responsible_grid: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(128))
    worker: Mapped[str | None] = mapped_column(String(128))
    feedback: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    legal_hold: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Evidence of an event on legal hold is never deleted by retention (set and lifted by an action)."""


class EventHistory(Base):
    """One change to an event: who, when, what; rows are only ever inserted."""

    __tablename__ = "event_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Supervision(Base):
    """A 督办 record: the event missed `deadline` and was escalated one level."""

    __tablename__ = "supervisions"
    __table_args__ = (UniqueConstraint("event_id", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    deadline: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    from_level: Mapped[int] = mapped_column(Integer)
    to_level: Mapped[int] = mapped_column(Integer)
    grid_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class CodeCounter(Base):
    """Last sequence number handed out per code prefix; only ever increases."""

    __tablename__ = "code_counters"

    prefix: Mapped[str] = mapped_column(String(48), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
