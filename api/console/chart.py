"""A small line chart as inline SVG numbers (no script, no library): one series of readings.

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> t0 = datetime(2026, 11, 21, tzinfo=UTC)
    >>> chart = line_chart([(t0, 1.0), (t0 + timedelta(minutes=5), 1.3)], marks=[t0])
    >>> chart.points
    '40.0,110.0 400.0,10.0'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 420, 140
LEFT, RIGHT, TOP, BOTTOM = 40, 20, 10, 30


@dataclass(frozen=True)
class Chart:
    """SVG coordinates: the polyline, the dots, the alert marks and the axis labels' positions."""

    width: int
    height: int
    points: str
    dots: list[tuple[float, float]]
    marks: list[float]
    y_labels: list[tuple[float, float]]  # (y, value)
    x_labels: list[tuple[float, datetime]]  # (x, time)
    bottom: float
    left: float
    right: float


def line_chart(values: Sequence[tuple[datetime, float]], *, marks: Sequence[datetime] = ()) -> Chart:
    """Scale `values` (time, value) into the chart box; `marks` are vertical lines (the alerts)."""
    times = [t.timestamp() for t, _ in values] + [m.timestamp() for m in marks]
    t0, t1 = min(times), max(times)
    v0, v1 = min(v for _, v in values), max(v for _, v in values)
    if v1 == v0:
        v0, v1 = v0 - 1, v1 + 1
    span_t = (t1 - t0) or 1.0

    def x(at: datetime) -> float:
        return round(LEFT + (at.timestamp() - t0) / span_t * (WIDTH - LEFT - RIGHT), 1)

    def y(value: float) -> float:
        return round(TOP + (v1 - value) / (v1 - v0) * (HEIGHT - TOP - BOTTOM), 1)

    dots = [(x(t), y(v)) for t, v in values]
    first, last = min(values, key=lambda p: p[0])[0], max(values, key=lambda p: p[0])[0]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=" ".join(f"{a},{b}" for a, b in dots),
        dots=dots,
        marks=[x(m) for m in marks],
        y_labels=[(y(v0), v0), (y(v1), v1)],
        x_labels=[(x(first), first), (x(last), last)] if first != last else [(x(first), first)],
        bottom=HEIGHT - BOTTOM,
        left=LEFT,
        right=WIDTH - RIGHT,
    )
