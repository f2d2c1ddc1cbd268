"""Counts by status, type and grid; SLA compliance; median time to acknowledge — within a scope."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.orm import Event
from api.services.principals import Principal


class SlaCompliance(BaseModel):
    """Share of events that met each deadline, among those whose outcome is known."""

    ack_met: float | None = Field(description="Acknowledged in time / acknowledged or overdue")
    resolution_met: float | None = Field(description="Resolved in time / resolved or overdue")


class Stats(BaseModel):
    """The numbers an operator's dashboard shows."""

    total: int
    by_status: dict[str, int]
    by_type: dict[str, int]
    by_grid: dict[str, int] = Field(description="By 网格 cell; events outside every cell under '-'")
    sla: SlaCompliance
    median_ack_seconds: float | None


def _share(met: int, total: int) -> float | None:
    return None if total == 0 else round(met / total, 4)


def _met_share(pairs: list[tuple[datetime, datetime | None]], now: datetime) -> float | None:
    """Share of (due, reached) pairs reached in time, among those reached or already due."""
    known = [(due, at) for due, at in pairs if at is not None or due <= now]
    met = sum(1 for due, at in known if at is not None and at <= due)
    return _share(met, len(known))


def compute_stats(*, session: Session, principal: Principal, now: datetime) -> Stats:
    """Dashboard numbers over every event in the principal's scope."""
    scope = Event.grid_path.startswith(principal.scope_path, autoescape=True)
    counts: dict[str, Counter[str]] = {}
    for column in ("status", "type_code", "cell_code"):
        field = getattr(Event, column)
        rows = session.execute(select(field, func.count()).where(scope).group_by(field)).all()
        counts[column] = Counter({str(value or "-"): int(n) for value, n in rows})
    clocks = session.execute(
        select(
            Event.created_at, Event.acknowledged_at, Event.ack_due, Event.resolved_at, Event.resolution_due
        ).where(scope)
    ).all()
    ack_seconds = [
        (row.acknowledged_at - row.created_at).total_seconds() for row in clocks if row.acknowledged_at
    ]
    return Stats(
        total=sum(counts["status"].values()),
        by_status=dict(counts["status"]),
        by_type=dict(counts["type_code"]),
        by_grid=dict(counts["cell_code"]),
        sla=SlaCompliance(
            ack_met=_met_share([(row.ack_due, row.acknowledged_at) for row in clocks], now),
            resolution_met=_met_share([(row.resolution_due, row.resolved_at) for row in clocks], now),
        ),
        median_ack_seconds=statistics.median(ack_seconds) if ack_seconds else None,
    )
