"""What the wall dashboard (`/dashboard`) shows: the `/v1/stats` numbers laid out as bars and tiles.

Example:
    >>> bars([("a", 3), ("b", 1)])[0].width
    100.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from api.console.i18n import Translator
from api.console.queue_view import type_name
from api.logic.lifecycle import Status
from api.services.stats import DayCount, Stats

TREND_HEIGHT = 120
TREND_WIDTH = 400
TOP_WORKERS = 10


@dataclass(frozen=True)
class Bar:
    """One labelled bar; `width` in % of the longest bar; `key` is the stable hook (a code)."""

    key: str
    label: str
    value: int
    width: float


@dataclass(frozen=True)
class TrendDay:
    """One day of a trend chart: SVG heights of its created and resolved bars."""

    day: date
    created: int
    resolved: int
    created_h: float
    resolved_h: float


@dataclass(frozen=True)
class DashboardView:
    """The stats plus their bars and charts."""

    stats: Stats
    open_by_type: list[Bar]
    by_status: list[Bar]
    median_ack: str
    median_resolve: str
    trend_7d: list[TrendDay]
    trend_30d: list[TrendDay]
    trend_height: int
    trend_width: int
    top_workers: int


def bars(pairs: Sequence[tuple[str, int]], labels: Mapping[str, str] | None = None) -> list[Bar]:
    """Bars longest first, widths relative to the longest."""
    top = max((v for _, v in pairs), default=0) or 1
    ordered = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
    return [Bar(k, (labels or {}).get(k, k), v, round(100 * v / top, 1)) for k, v in ordered]


def trend(days: Sequence[DayCount]) -> list[TrendDay]:
    """Days scaled to TREND_HEIGHT by the highest count of either series."""
    top = max((max(d.created, d.resolved) for d in days), default=0) or 1
    scale = TREND_HEIGHT / top
    return [
        TrendDay(d.day, d.created, d.resolved, round(d.created * scale, 1), round(d.resolved * scale, 1))
        for d in days
    ]


def build_dashboard(stats: Stats, t: Translator, type_names: Mapping[str, str]) -> DashboardView:
    """Lay `stats` out for the page, names in the user's language."""
    types = {code: type_name(t, type_names, code) for code in stats.by_type}
    statuses = [(s.value, stats.by_status.get(s.value, 0)) for s in Status]
    return DashboardView(
        stats=stats,
        open_by_type=bars(list(stats.open_by_type.items()), types),
        by_status=bars(statuses, {s.value: t(f"status.{s.value}") for s in Status}),
        median_ack=short_span(t, stats.median_ack_seconds),
        median_resolve=short_span(t, stats.median_resolve_seconds),
        trend_7d=trend(stats.trend_7d),
        trend_30d=trend(stats.trend_30d),
        trend_height=TREND_HEIGHT,
        trend_width=TREND_WIDTH,
        top_workers=TOP_WORKERS,
    )


def short_span(t: Translator, seconds: float | None) -> str:
    """A duration as a wall screen shows it: `42分钟`, `2小时6分`, `5天13小时` (minutes rounded)."""
    if seconds is None:
        return t("dashboard.no_data")
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    if days:
        return t("dashboard.span_dh", d=days, h=round(rest / 60))
    return t("dashboard.span_hm", h=rest // 60, m=rest % 60) if rest >= 60 else t("dashboard.span_m", m=rest)
