"""The escalation sweep: missed deadlines → one level up with a 督办 record, each deadline once.

The sweep goes through the events in batches (`escalate_batch`, each its own transaction), so it
never holds more than one batch of events locked, and it looks only at events that missed a
deadline they have no 督办 record for: an event escalated for everything it missed costs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from api.db import begin_write
from api.live import notice
from api.logic.clocks import Deadline, Deadlines, Milestones
from api.logic.escalation import LEVEL_NAMES, Step, plan
from api.logic.lifecycle import OPEN_STATUSES
from api.orm import Event, Subscription, Supervision
from api.services.history import record
from api.services.webhooks import active_subscriptions, enqueue

logger = logging.getLogger(__name__)


def responsible_at(grid_path: str, level: int) -> str | None:
    """The grid code `level` steps above the cell on `grid_path` (never above the 县)."""
    codes = [c for c in grid_path.split("/") if c]
    if not codes:
        return None
    return codes[max(len(codes) - 1 - level, min(1, len(codes) - 1))]


def _supervise(session: Session, event: Event, step: Step, now: datetime) -> Supervision:
    grid = responsible_at(event.grid_path, step.to_level)
    moved = f"{LEVEL_NAMES[step.from_level]} → {LEVEL_NAMES[step.to_level]}"
    note = f"{step.deadline.value} deadline missed: {moved}"
    supervision = Supervision(
        event_id=event.id,
        deadline=step.deadline.value,
        due_at=step.due_at,
        at=now,
        from_level=step.from_level,
        to_level=step.to_level,
        grid_code=grid,
        note=note,
    )
    session.add(supervision)
    event.escalation_level, event.responsible_grid = step.to_level, grid
    notice(session, code=event.code, grid_path=event.grid_path, kind="escalated")
    record(
        session=session,
        event=event,
        actor="system:escalation",
        action="escalate",
        at=now,
        from_status=event.status,
        note=note,
        data={"deadline": step.deadline.value, "grid": grid},
    )
    return supervision


def _escalate_event(
    session: Session,
    event: Event,
    already: Collection[str],
    subscriptions: Sequence[Subscription],
    now: datetime,
) -> list[Supervision]:
    deadlines = Deadlines(event.ack_due, event.feedback_due, event.resolution_due)
    milestones = Milestones(event.acknowledged_at, event.in_progress_at, event.resolved_at)
    steps = plan(
        deadlines=deadlines, milestones=milestones, level=event.escalation_level, already=already, now=now
    )
    written = [_supervise(session, event, step, now) for step in steps]
    if steps:
        enqueue(session=session, event=event, topic="event.escalated", subscriptions=subscriptions, now=now)
    return written


def _missed_unrecorded(now: datetime, due: Any, milestone: Any, deadline: Deadline) -> ColumnElement[bool]:
    recorded = select(Supervision.id).where(
        Supervision.event_id == Event.id, Supervision.deadline == deadline.value
    )
    return and_(due <= now, milestone.is_(None), ~recorded.exists())


def needs_escalation(now: datetime) -> ColumnElement[bool]:
    """Open events with a deadline past, its milestone not reached and no 督办 record for it yet
    (events escalated for everything they missed are not touched again)."""
    return and_(
        Event.status.in_(OPEN_STATUSES),
        or_(
            _missed_unrecorded(now, Event.ack_due, Event.acknowledged_at, Deadline.ACK),
            _missed_unrecorded(now, Event.feedback_due, Event.in_progress_at, Deadline.FEEDBACK),
            _missed_unrecorded(now, Event.resolution_due, Event.resolved_at, Deadline.RESOLUTION),
        ),
    )


@dataclass(frozen=True)
class Batch:
    """What one batch of the sweep did: the events it locked, the last id it saw, its 督办 records."""

    events: int
    last_id: int
    written: list[Supervision]


def escalate_batch(
    *,
    session: Session,
    now: datetime,
    after_id: int,
    limit: int,
    on_error: Callable[[str, Exception], None] | None = None,
) -> Batch:
    """Escalate the next `limit` events (by id, after `after_id`) that newly missed a deadline, for
    each deadline they missed; the caller commits. Safe to run repeatedly and on several replicas.

    Only these events are locked (`FOR UPDATE SKIP LOCKED`: one that an operator or an alert is
    changing right now is left for the next sweep rather than waited for). The batch is written in
    one savepoint and one flush; if anything in it fails, it is done again one event at a time,
    each in its own savepoint: one that fails is rolled back alone, logged and reported to
    `on_error` (event code, exception), and the batch goes on with the next event.
    """
    begin_write(session)
    events = session.scalars(
        select(Event)
        .where(needs_escalation(now), Event.id > after_id)
        .order_by(Event.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return Batch(0, after_id, [])
    subscriptions = active_subscriptions(session=session)
    already: dict[int, set[str]] = {}
    for event_id, deadline in session.execute(
        select(Supervision.event_id, Supervision.deadline).where(
            Supervision.event_id.in_([e.id for e in events])
        )
    ):
        already.setdefault(event_id, set()).add(deadline)
    written = _all_at_once(session, events, already, subscriptions, now)
    if written is None:
        written = _one_at_a_time(session, events, already, subscriptions, now, on_error)
    return Batch(len(events), events[-1].id, written)


def _all_at_once(
    session: Session,
    events: Sequence[Event],
    already: dict[int, set[str]],
    subscriptions: Sequence[Subscription],
    now: datetime,
) -> list[Supervision] | None:
    """The whole batch in one savepoint, flushed once (a few multi-row statements for hundreds of
    events); None when any event failed, with nothing of the batch kept."""
    try:
        with session.begin_nested():
            return [
                supervision
                for event in events
                for supervision in _escalate_event(
                    session, event, already.get(event.id, set()), subscriptions, now
                )
            ]
    except Exception:
        # Rolling the savepoint back expired what it changed: the events reload as they are stored.
        logger.warning("an escalation batch failed; escalating its events one at a time", exc_info=True)
        return None


def _one_at_a_time(
    session: Session,
    events: Sequence[Event],
    already: dict[int, set[str]],
    subscriptions: Sequence[Subscription],
    now: datetime,
    on_error: Callable[[str, Exception], None] | None,
) -> list[Supervision]:
    """Each event in a savepoint of its own: one that fails is rolled back alone, logged and reported."""
    written: list[Supervision] = []
    for event in events:
        code = event.code
        try:
            with session.begin_nested():
                written += _escalate_event(session, event, already.get(event.id, set()), subscriptions, now)
        except Exception as exc:
            logger.exception("escalation of event %s failed; skipped in this sweep", code)
            if on_error is not None:
                on_error(code, exc)
    return written
