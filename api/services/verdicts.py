"""Operator verdicts per alert: written when an event is dismissed, withdrawn when it is reopened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from api.errors import BadInputError
from api.orm import AlertRow, AlertVerdict, Event
from api.schemas.events import VerdictIn, VerdictOut
from api.services.events import decode_cursor, encode_cursor, get_event, scoped
from api.services.principals import Principal


@dataclass(frozen=True)
class VerdictFilter:
    """Filters of the verdict list; None means "any"."""

    since: datetime | None = None
    until: datetime | None = None
    source_id: str | None = None
    rule: str | None = None
    model_name: str | None = None
    verdict: str | None = None
    include_withdrawn: bool = False


def best_box(payload: dict[str, Any]) -> tuple[str | None, float | None]:
    """Label and score of an alert: its best box's label, its own score else the box's."""
    boxes = (payload.get("evidence") or {}).get("boxes") or []
    best = max(boxes, key=lambda b: float(b.get("score", 0)), default=None)
    label = str(best["label"]) if best else None
    score = payload.get("score")
    if score is None and best is not None:
        score = best.get("score")
    return label, None if score is None else float(score)


def record_verdicts(
    *, session: Session, principal: Principal, event: Event, verdict: VerdictIn, note: str, now: datetime
) -> int:
    """One verdict row per alert of `event`; returns how many."""
    if verdict.duplicate_of is not None:
        other = get_event(session=session, principal=principal, code=verdict.duplicate_of)
        if other.id == event.id:
            raise BadInputError(f"verdict.duplicate_of: {verdict.duplicate_of!r} is this very event")
    alerts = session.scalars(select(AlertRow).where(AlertRow.event_id == event.id).order_by(AlertRow.id))
    rows = [_row(event, alert, verdict, principal.username, note, now) for alert in alerts]
    session.add_all(rows)
    return len(rows)


def _row(
    event: Event, alert: AlertRow, verdict: VerdictIn, actor: str, note: str, now: datetime
) -> AlertVerdict:
    payload = alert.payload
    model = payload.get("model") or {}
    label, score = best_box(payload)
    return AlertVerdict(
        event_id=event.id,
        alert_id=alert.alert_id,
        verdict=verdict.kind.value,
        false_alarm=verdict.false_alarm.value if verdict.false_alarm else None,
        duplicate_of=verdict.duplicate_of,
        note=note,
        device_id=alert.device_id,
        source_id=alert.source_id,
        rule=payload.get("rule"),
        model_name=model.get("name"),
        model_version=model.get("version"),
        label=label,
        score=score,
        observed_at=alert.observed_at,
        actor=actor,
        at=now,
    )


def withdraw_verdicts(*, session: Session, event: Event, now: datetime) -> None:
    """Mark the event's current verdicts withdrawn (it was reopened: the dismissal did not hold)."""
    session.execute(
        update(AlertVerdict)
        .where(AlertVerdict.event_id == event.id, AlertVerdict.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )


def _query(principal: Principal, f: VerdictFilter) -> Select[AlertVerdict, str]:
    events = scoped(principal).subquery()
    query = select(AlertVerdict, events.c.code).join(events, events.c.id == AlertVerdict.event_id)
    conditions = {
        AlertVerdict.source_id: f.source_id,
        AlertVerdict.rule: f.rule,
        AlertVerdict.model_name: f.model_name,
        AlertVerdict.verdict: f.verdict,
    }
    for column, value in conditions.items():
        if value is not None:
            query = query.where(column == value)
    if f.since is not None:
        query = query.where(AlertVerdict.at >= f.since)
    if f.until is not None:
        query = query.where(AlertVerdict.at < f.until)
    if not f.include_withdrawn:
        query = query.where(AlertVerdict.withdrawn_at.is_(None))
    return query


def list_verdicts(
    *, session: Session, principal: Principal, filters: VerdictFilter, cursor: str | None, limit: int
) -> tuple[list[VerdictOut], str | None]:
    """Verdicts on alerts of events in scope, newest first, and the next page's cursor."""
    query = _query(principal, filters)
    if cursor:
        query = query.where(AlertVerdict.id < decode_cursor(cursor))
    found = session.execute(query.order_by(AlertVerdict.id.desc()).limit(limit + 1)).all()
    items = [(verdict, code) for verdict, code in found[:limit]]
    next_cursor = encode_cursor(items[-1][0].id) if len(found) > limit and items else None
    return [VerdictOut.of(verdict, code) for verdict, code in items], next_cursor
