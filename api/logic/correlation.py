"""Which open event a new alert joins, if any."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gridwatch.contracts.alert import Severity


@dataclass(frozen=True)
class ClockWindow:
    """How far an alert's `observed_at` may lie from the centre's clock and still be believed.

    Outside the window the alert is kept with its reported time but flagged, and correlation
    counts it at the time it was received: a device with a wrong (or lying) clock can neither
    open events in the past nor keep opening fresh ones, because every flagged alert lands at
    "now", inside the open event of its cell and type.

    Example:
        >>> from datetime import UTC
        >>> now = datetime(2026, 11, 28, tzinfo=UTC)
        >>> ClockWindow().judge(datetime(2001, 1, 1, tzinfo=UTC), received_at=now)[1]
        'past'
    """

    past: timedelta = timedelta(days=7)
    future: timedelta = timedelta(minutes=5)

    def judge(self, observed_at: datetime, *, received_at: datetime) -> tuple[datetime, str | None]:
        """(the time correlation uses, the flag): `observed_at` and None inside the window, else
        `received_at` and "past" or "future"."""
        if observed_at < received_at - self.past:
            return received_at, "past"
        if observed_at > received_at + self.future:
            return received_at, "future"
        return observed_at, None


@dataclass(frozen=True)
class OpenEvent:
    """What correlation needs to know about an open event of the same type and key."""

    event_id: int
    first_seen: datetime
    last_seen: datetime


def correlation_key(*, cell_code: str | None, device_id: str) -> str:
    """Alerts correlate per cell; alerts outside every cell correlate per sending device."""
    return f"cell:{cell_code}" if cell_code is not None else f"device:{device_id}"


def pick_event(candidates: Sequence[OpenEvent], *, observed_at: datetime, window: timedelta) -> int | None:
    """The open event whose seen-span, widened by `window`, holds `observed_at` (latest wins)."""
    fits = [c for c in candidates if c.first_seen - window <= observed_at <= c.last_seen + window]
    if not fits:
        return None
    return max(fits, key=lambda c: (c.last_seen, c.event_id)).event_id


SEVERITY_ORDER = list(Severity)


def most_severe(first: Severity, second: Severity) -> Severity:
    """The more urgent of two severities (an event's severity only ever rises)."""
    return max(first, second, key=SEVERITY_ORDER.index)


def pick_for_clear(candidates: Sequence[OpenEvent]) -> int | None:
    """A `cleared` alert ends the condition of the most recently seen event, however long ago."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.last_seen, c.event_id)).event_id
