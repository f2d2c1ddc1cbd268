"""How an event stands against its SLA clocks: each deadline met, late, missed or pending, and the
countdown chip of the next one (amber when less than a quarter of its time is left, red when past).

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> t0 = datetime(2026, 11, 21, 8, tzinfo=UTC)
    >>> d = Deadlines(t0 + timedelta(hours=2), t0 + timedelta(hours=48), t0 + timedelta(days=9))
    >>> next_chip(t0, d, Milestones(), open_=True, now=t0 + timedelta(hours=1, minutes=45)).colour
    'amber'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from api.logic.clocks import Deadline, Deadlines, Milestones

AMBER_SHARE = 0.25
"""A chip turns amber when less than this share of its deadline's span is left."""


class Outcome(StrEnum):
    """How one deadline stands."""

    MET = "met"
    LATE = "late"  # reached, but after the deadline
    MISSED = "missed"  # not reached and past due
    PENDING = "pending"
    NOT_NEEDED = "not_needed"  # the event ended (dismissed, closed) without needing it


@dataclass(frozen=True)
class DeadlineState:
    """One deadline of an event."""

    deadline: Deadline
    due: datetime
    reached_at: datetime | None
    outcome: Outcome


@dataclass(frozen=True)
class Chip:
    """The countdown to the next deadline; `colour` is ok, amber or red at `now`."""

    deadline: Deadline
    due: datetime
    amber_at: datetime
    colour: str


def _outcome(due: datetime, reached: datetime | None, open_: bool, now: datetime) -> Outcome:
    if reached is not None:
        return Outcome.MET if reached <= due else Outcome.LATE
    if not open_:
        return Outcome.NOT_NEEDED
    return Outcome.MISSED if due <= now else Outcome.PENDING


def deadline_states(
    deadlines: Deadlines, milestones: Milestones, *, open_: bool, now: datetime
) -> list[DeadlineState]:
    """Every deadline in order (acknowledge, feedback, resolution) with its outcome at `now`."""
    return [
        DeadlineState(
            d,
            deadlines.due(d),
            milestones.reached(d),
            _outcome(deadlines.due(d), milestones.reached(d), open_, now),
        )
        for d in Deadline
    ]


def next_chip(
    opened_at: datetime, deadlines: Deadlines, milestones: Milestones, *, open_: bool, now: datetime
) -> Chip | None:
    """The chip of the earliest deadline not yet reached; None once the event is no longer open."""
    if not open_:
        return None
    pending = [d for d in Deadline if milestones.reached(d) is None]
    if not pending:
        return None
    deadline = min(pending, key=deadlines.due)
    due = deadlines.due(deadline)
    amber_at = due - (due - opened_at) * AMBER_SHARE
    colour = "red" if now >= due else "amber" if now >= amber_at else "ok"
    return Chip(deadline, due, amber_at, colour)
