"""Lifecycle actions on an event: role check, transition, fields, history, webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.db import begin_write
from api.errors import ForbiddenError
from api.live import notice
from api.logic.lifecycle import Action, Status, next_status
from api.logic.roles import may_act
from api.logic.verdicts import verdict_code
from api.orm import Event
from api.schemas.events import ActionIn
from api.services.events import get_event
from api.services.history import record
from api.services.principals import Principal
from api.services.verdicts import record_verdicts, withdraw_verdicts
from api.services.webhooks import active_subscriptions, enqueue


def _apply_fields(event: Event, body: ActionIn, now: datetime) -> dict[str, Any]:
    """Set the fields the action changes; returns what to keep in the history entry."""
    match body.action:
        case Action.ACKNOWLEDGE:
            event.acknowledged_at = event.acknowledged_at or now
        case Action.DISPATCH:
            event.dispatched_at, event.department, event.worker = now, body.department, body.worker
            return {"department": body.department, "worker": body.worker}
        case Action.START:
            event.in_progress_at = event.in_progress_at or now
        case Action.RESOLVE:
            event.resolved_at = now
        case Action.CLOSE:
            event.closed_at, event.feedback, event.rating = now, body.feedback, body.rating
            return {"feedback": body.feedback, "rating": body.rating}
        case Action.DISMISS:
            verdict = body.verdict
            code = verdict_code(verdict.kind, verdict.false_alarm) if verdict else None
            event.dismiss_reason = body.reason or code
            return {"reason": body.reason, "verdict": code} if code else {"reason": body.reason}
        case Action.REOPEN:
            event.resolved_at = event.closed_at = None
    return {}


def apply_action(
    *, session: Session, principal: Principal, code: str, body: ActionIn, now: datetime
) -> Event:
    """Take `body.action` on the event `code` as `principal`; 404 / 403 / 409 when not possible."""
    begin_write(session)
    event = get_event(session=session, principal=principal, code=code, for_update=True)
    if not may_act(principal.role, body.action):
        raise ForbiddenError(f"role {principal.role.value} may not {body.action.value} events")
    before = event.status
    event.status = next_status(Status(before), body.action).value
    data = _apply_fields(event, body, now)
    if body.verdict is not None:
        record_verdicts(
            session=session, principal=principal, event=event, verdict=body.verdict, note=body.note, now=now
        )
    elif body.action is Action.REOPEN:
        withdraw_verdicts(session=session, event=event, now=now)
    record(
        session=session,
        event=event,
        actor=principal.username,
        action=body.action.value,
        at=now,
        from_status=before,
        note=body.note,
        data=data,
    )
    notice(session, code=event.code, grid_path=event.grid_path, kind=body.action.value)
    enqueue(
        session=session,
        event=event,
        topic="event.status_changed",
        subscriptions=active_subscriptions(session=session),
        now=now,
    )
    return event
