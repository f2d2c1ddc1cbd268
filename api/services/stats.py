"""The dashboard's numbers within a scope, computed in SQL (aggregates and GROUP BY; no event is
loaded into Python): counts by status, type, township and worker, overdue, SLA met shares, median
times to acknowledge and resolve, daily trends, satisfaction from closing ratings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_
from sqlalchemy.orm import Session

from api.logic.lifecycle import OPEN_STATUSES
from api.orm import Event
from api.services.events import overdue_clause, scoped
from api.services.principals import Principal
from api.services.sqltime import day_bucket, day_starts, median, seconds_between
from api.services.stats_parts import place_loads, worker_loads
from api.services.stats_schema import (
    DayCount,
    Overdue,
    Satisfaction,
    SlaCompliance,
    Stats,
    TownshipLoad,
    WorkerLoad,
)

__all__ = ["DayCount", "Overdue", "Satisfaction", "SlaCompliance", "Stats", "TownshipLoad", "WorkerLoad"]

TREND_DAYS = 30
RATINGS = range(1, 6)
"""Closing ratings are 1–5 (the close action refuses others)."""


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _share(met: int, known: int) -> float | None:
    return None if known == 0 else round(met / known, 4)


def _met(due: Any, reached: Any, now: datetime) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """(reached or already due, reached by the deadline): the same rule as the SLA clocks."""
    known = or_(reached.is_not(None), due <= now)
    return _count(known), _count(and_(reached.is_not(None), reached <= due))


def _columns(now: datetime) -> dict[str, ColumnElement[int]]:
    """The per-row counts summed in the one aggregate pass (open-only ones are kept for open groups)."""
    columns: dict[str, ColumnElement[int]] = {
        "total": func.count(),
        "overdue": _count(overdue_clause(now)),
        "overdue_ack": _count(and_(Event.ack_due <= now, Event.acknowledged_at.is_(None))),
        "overdue_feedback": _count(and_(Event.feedback_due <= now, Event.in_progress_at.is_(None))),
        "overdue_resolution": _count(and_(Event.resolution_due <= now, Event.resolved_at.is_(None))),
        "rated": _count(Event.rating.is_not(None)),
        "rating_sum": func.coalesce(func.sum(Event.rating), 0),
        "acked": _count(Event.acknowledged_at.is_not(None)),
        "resolved": _count(Event.resolved_at.is_not(None)),
    }
    for rating in RATINGS:
        columns[f"rating_{rating}"] = _count(Event.rating == rating)
    for name, due, reached in (
        ("ack", Event.ack_due, Event.acknowledged_at),
        ("feedback", Event.feedback_due, Event.in_progress_at),
        ("resolution", Event.resolution_due, Event.resolved_at),
    ):
        columns[f"{name}_known"], columns[f"{name}_met"] = _met(due, reached, now)
    return columns


OPEN_ONLY = ("overdue_ack", "overdue_feedback", "overdue_resolution")


@dataclass
class _Pass:
    """What the one aggregate pass (GROUP BY status, type: a few dozen rows) adds up to."""

    totals: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    open_by_type: Counter[str] = field(default_factory=Counter)


def _aggregate(session: Session, scope: Select[Any], now: datetime) -> _Pass:
    """Every single-number count and the counts by status and type, in one pass over the scope."""
    columns = _columns(now)
    query = scope.with_only_columns(Event.status, Event.type_code, *columns.values())
    found = _Pass()
    open_values = {s.value for s in OPEN_STATUSES}
    for status, type_code, *values in session.execute(query.group_by(Event.status, Event.type_code)):
        is_open = status in open_values
        for name, value in zip(columns, values, strict=True):
            if is_open or name not in OPEN_ONLY:
                found.totals[name] += int(value or 0)
        n = int(values[0])
        found.by_status[status] += n
        found.by_type[type_code] += n
        if is_open:
            found.open_by_type[type_code] += n
            found.totals["open"] += n
    return found


def _trend(session: Session, scope: Select[Any], now: datetime, zone: ZoneInfo) -> list[DayCount]:
    """Events created and resolved per local day over the last TREND_DAYS days, oldest first."""
    starts = day_starts(now, zone, TREND_DAYS)
    dialect = session.get_bind().dialect.name
    per_day: dict[str, dict[int, int]] = {}
    for name, column in (("created", Event.created_at), ("resolved", Event.resolved_at)):
        bucket = day_bucket(column, starts, dialect)
        query = (
            scope.with_only_columns(bucket, func.count())
            .where(column >= starts[0].astimezone(UTC), column < starts[-1].astimezone(UTC))
            .group_by(bucket)
        )
        per_day[name] = {int(day): int(n) for day, n in session.execute(query) if day is not None}
    days: list[date] = [start.date() for start in starts[:-1]]
    return [
        DayCount(day=d, created=per_day["created"].get(i, 0), resolved=per_day["resolved"].get(i, 0))
        for i, d in enumerate(days)
    ]


def _medians(
    session: Session, scope: Select[Any], totals: dict[str, int]
) -> tuple[float | None, float | None]:
    dialect = session.get_bind().dialect.name
    found = []
    for reached, n in ((Event.acknowledged_at, totals["acked"]), (Event.resolved_at, totals["resolved"])):
        seconds = seconds_between(Event.created_at, reached, dialect)
        found.append(median(session, scope.with_only_columns(seconds).where(reached.is_not(None)), n))
    return found[0], found[1]


def compute_stats(
    *, session: Session, principal: Principal, now: datetime, zone: ZoneInfo = ZoneInfo("UTC")
) -> Stats:
    """Dashboard numbers over every event in the principal's scope; days are local days of `zone`."""
    scope = scoped(principal)
    found = _aggregate(session, scope, now)
    totals = found.totals
    townships, by_grid = place_loads(session=session, scope=scope, now=now)
    median_ack, median_resolve = _medians(session, scope, totals)
    trend = _trend(session, scope, now, zone)
    return Stats(
        total=totals["total"],
        by_status=dict(found.by_status),
        by_type=dict(found.by_type),
        by_grid=by_grid,
        sla=SlaCompliance(
            ack_met=_share(totals["ack_met"], totals["ack_known"]),
            feedback_met=_share(totals["feedback_met"], totals["feedback_known"]),
            resolution_met=_share(totals["resolution_met"], totals["resolution_known"]),
        ),
        median_ack_seconds=median_ack,
        median_resolve_seconds=median_resolve,
        open=totals["open"],
        open_by_type=dict(found.open_by_type),
        overdue=Overdue(
            total=totals["overdue"],
            ack=totals["overdue_ack"],
            feedback=totals["overdue_feedback"],
            resolution=totals["overdue_resolution"],
        ),
        townships=townships,
        trend_7d=trend[-7:],
        trend_30d=trend,
        satisfaction=Satisfaction(
            rated=totals["rated"],
            mean=round(totals["rating_sum"] / totals["rated"], 3) if totals["rated"] else None,
            by_rating={str(r): totals[f"rating_{r}"] for r in RATINGS if totals[f"rating_{r}"]},
        ),
        workers=worker_loads(session=session, scope=scope, now=now),
        as_of=now,
    )
