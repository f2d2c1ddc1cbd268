"""The alerts that quality figures are computed from: in scope, joined to event and current verdict."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, or_, select

from api.logic.lifecycle import Status
from api.orm import AlertRow, AlertVerdict
from api.services.events import scoped
from api.services.principals import Principal


def judged(principal: Principal, since: datetime) -> tuple[Select[Any], Subquery]:
    """Alerts received since `since` in the scope, joined to their event (the subquery, returned
    too) and their current verdict."""
    events = scoped(principal).subquery()
    verdict = and_(
        AlertVerdict.device_id == AlertRow.device_id,
        AlertVerdict.alert_id == AlertRow.alert_id,
        AlertVerdict.withdrawn_at.is_(None),
    )
    query = (
        select(AlertRow)
        .join(events, events.c.id == AlertRow.event_id)
        .outerjoin(AlertVerdict, verdict)
        .where(AlertRow.received_at >= since)
    )
    return query, events


def confirmed_clause(events: Any) -> ColumnElement[bool]:
    """The alert's event was acted on: dispatched, started or resolved, and not dismissed."""
    acted = or_(events.c.dispatched_at.is_not(None), events.c.in_progress_at.is_not(None),
                events.c.resolved_at.is_not(None))  # fmt: skip
    return and_(events.c.status != Status.DISMISSED.value, acted)
