"""Which open event a new alert joins, if any."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gridwatch.contracts.alert import Severity


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
