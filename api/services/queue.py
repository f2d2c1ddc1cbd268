"""The operator's queue: tabs over the event list, and what each user has not reviewed yet.

An event is unreviewed by a user until they open it, and again when alerts joined it since
(like Frigate's review items). Counts and rows use the same scoped, filtered query as the JSON list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.logic.lifecycle import OPEN_STATUSES, Status
from api.orm import Event, EventView
from api.services.events import EventFilter, filtered, overdue_clause, scoped
from api.services.principals import Principal


class Tab(StrEnum):
    """The queue's tabs."""

    OPEN = "open"
    NEW = "new"
    IN_HAND = "in_hand"
    OVERDUE = "overdue"
    DONE = "done"


TAB_STATUSES: dict[Tab, frozenset[Status]] = {
    Tab.OPEN: OPEN_STATUSES,
    Tab.NEW: frozenset({Status.NEW}),
    Tab.IN_HAND: frozenset({Status.ACKNOWLEDGED, Status.DISPATCHED, Status.IN_PROGRESS}),
    Tab.OVERDUE: OPEN_STATUSES,
    Tab.DONE: frozenset({Status.RESOLVED, Status.CLOSED, Status.DISMISSED}),
}


def tab_filter(tab: Tab, base: EventFilter) -> EventFilter | None:
    """`base` narrowed to the tab; None when nothing can match (a status filter outside the tab)."""
    wanted = TAB_STATUSES[tab]
    statuses = tuple(s for s in Status if s in wanted and (not base.statuses or s in base.statuses))
    if not statuses:
        return None
    overdue = True if tab is Tab.OVERDUE else base.overdue
    return replace(base, statuses=statuses, overdue=overdue)


def tab_counts(
    *, session: Session, principal: Principal, base: EventFilter, tabs: Sequence[Tab], now: datetime
) -> dict[Tab, tuple[int, int]]:
    """Per tab, (events, of them unreviewed by the principal) matching `base`: one pass over the events."""
    seen = and_(EventView.event_id == Event.id, EventView.user_id == principal.user_id)
    unreviewed = or_(EventView.event_id.is_(None), EventView.alert_count < Event.alert_count)
    late = overdue_clause(now)
    columns = []
    for tab in tabs:
        status: ColumnElement[bool] = Event.status.in_([s.value for s in TAB_STATUSES[tab]])
        inside = and_(status, late) if tab is Tab.OVERDUE else status
        columns += [
            func.sum(case((inside, 1), else_=0)),
            func.sum(case((and_(inside, unreviewed), 1), else_=0)),
        ]
    query = (
        filtered(session, scoped(principal), base, now).outerjoin(EventView, seen).with_only_columns(*columns)
    )
    row = session.execute(query).one()
    return {tab: (int(row[2 * i] or 0), int(row[2 * i + 1] or 0)) for i, tab in enumerate(tabs)}


def unreviewed_ids(*, session: Session, user_id: int, events: list[Event]) -> set[int]:
    """The ids among `events` that the user has not reviewed since their last alert."""
    query = select(EventView.event_id, EventView.alert_count).where(
        EventView.user_id == user_id, EventView.event_id.in_([e.id for e in events])
    )
    counts = {event_id: seen for event_id, seen in session.execute(query)}
    return {e.id for e in events if counts.get(e.id, -1) < e.alert_count}


def mark_viewed(*, session: Session, user_id: int, event: Event, now: datetime) -> None:
    """Remember that the user saw the event with its current alerts."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = insert(EventView).values(
        user_id=user_id, event_id=event.id, alert_count=event.alert_count, seen_at=now
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "event_id"],
            set_={"alert_count": stmt.excluded.alert_count, "seen_at": stmt.excluded.seen_at},
        )
    )
