"""The escalation sweep: missed deadlines → one level up with a 督办 record, each deadline once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import begin_write
from api.live import notice
from api.logic.clocks import Deadlines, Milestones
from api.logic.escalation import LEVEL_NAMES, Step, plan
from api.orm import Event, Subscription, Supervision
from api.services.events import overdue_clause
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
    session: Session, event: Event, subscriptions: Sequence[Subscription], now: datetime
) -> list[Supervision]:
    already = set(session.scalars(select(Supervision.deadline).where(Supervision.event_id == event.id)))
    deadlines = Deadlines(event.ack_due, event.feedback_due, event.resolution_due)
    milestones = Milestones(event.acknowledged_at, event.in_progress_at, event.resolved_at)
    steps = plan(
        deadlines=deadlines, milestones=milestones, level=event.escalation_level, already=already, now=now
    )
    written = [_supervise(session, event, step, now) for step in steps]
    if steps:
        enqueue(session=session, event=event, topic="event.escalated", subscriptions=subscriptions, now=now)
    session.flush()
    return written


def escalate_once(
    *, session: Session, now: datetime, on_error: Callable[[str, Exception], None] | None = None
) -> list[Supervision]:
    """Escalate every overdue open event for each deadline it newly missed; safe to run repeatedly.

    Each event is escalated inside a savepoint: one that fails is rolled back alone, logged and
    reported to `on_error` (event code, exception), and the sweep goes on with the next event.
    """
    begin_write(session)
    events = session.scalars(
        select(Event).where(overdue_clause(now)).order_by(Event.id).with_for_update()
    ).all()
    subscriptions = active_subscriptions(session=session) if events else []
    written: list[Supervision] = []
    for event in events:
        code = event.code
        try:
            with session.begin_nested():
                written += _escalate_event(session, event, subscriptions, now)
        except Exception as exc:
            logger.exception("escalation of event %s failed; skipped in this sweep", code)
            if on_error is not None:
                on_error(code, exc)
    if written:
        logger.info("escalation: %d 督办 records written", len(written))
    return written
