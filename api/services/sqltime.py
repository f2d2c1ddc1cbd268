"""Time arithmetic in SQL that reads the same on SQLite and PostgreSQL: seconds between two columns,
medians by ORDER BY/OFFSET, and day buckets by CASE over boundaries computed in Python.

Days: the window's local midnights come from Python (the centre's zone needs no database support).

Medians: neither backend shares a median aggregate (PostgreSQL has `percentile_cont`, SQLite has
none), so the median is the middle row (or the mean of the two middle rows) of the sorted values,
fetched with `ORDER BY value OFFSET (n-1)/2 LIMIT 1 or 2` — the database sorts, Python sees at most
two numbers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, Integer, Select, case, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

Column = ColumnElement[Any] | InstrumentedAttribute[Any]

JULIAN_UNIX_EPOCH = 2440587.5
DAY = 86400


def epoch_seconds(column: Column, dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 of a UTC timestamp column (SQLite stores naive UTC text, PostgreSQL timestamptz)."""
    if dialect == "sqlite":
        return (func.julianday(column) - JULIAN_UNIX_EPOCH) * 86400.0
    return cast(func.extract("epoch", column), Float)


def seconds_between(start: Column, end: Column, dialect: str) -> ColumnElement[float]:
    """`end - start` in seconds."""
    return epoch_seconds(end, dialect) - epoch_seconds(start, dialect)


def median(session: Session, query: Select[Any], n: int | None = None) -> float | None:
    """The median of the single column that `query` selects (None when it selects no row); `n`, the
    number of rows, when the caller has counted them already."""
    sub = query.subquery()
    value = sub.c[0]
    if n is None:
        n = int(session.scalar(select(func.count()).select_from(sub)) or 0)
    if n == 0:
        return None
    middle = select(value).order_by(value).offset((n - 1) // 2).limit(2 - n % 2)
    values = [float(v) for v in session.scalars(middle)]
    return round(sum(values) / len(values), 3)


def day_starts(now: datetime, zone: ZoneInfo, days: int) -> list[datetime]:
    """Local midnights (as aware datetimes) of the last `days` days, today last, plus tomorrow's."""
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    dates = [(today - timedelta(days=days - 1 - i)).date() for i in range(days + 1)]
    return [datetime(d.year, d.month, d.day, tzinfo=zone) for d in dates]


def day_bucket(column: Column, starts: list[datetime], dialect: str) -> ColumnElement[Any]:
    """Index of the local day `column` falls in (0 = the day from `starts[0]`) for rows the caller
    keeps within `starts[0]` and `starts[-1]`. When every day of the window is 24 h long (no clock
    change in it) that is the whole days since `starts[0]`, computed; otherwise a CASE over the
    boundaries."""
    if all((b - a).total_seconds() == DAY for a, b in pairwise(starts)):
        # + 0.1 ms: SQLite's julianday() arithmetic is off by up to ~50 µs; never drop an event at
        # midnight into the day before
        days = (epoch_seconds(column, dialect) - starts[0].timestamp() + 1e-4) / DAY
        return cast(days, Integer) if dialect == "sqlite" else func.floor(days)
    inside = [(column < end, i) for i, end in enumerate(starts[1:])]
    return case((column < starts[0], None), *inside, else_=None)
