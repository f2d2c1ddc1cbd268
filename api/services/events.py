"""Reading events inside a user's scope: list with filters and cursor pagination, detail."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar
from urllib.parse import quote

from sqlalchemy import ColumnElement, Select, and_, case, or_, select
from sqlalchemy.orm import Session

from api.errors import BadInputError, ConflictError, NotFoundError
from api.logic.lifecycle import OPEN_STATUSES, Status, allowed_actions
from api.logic.times import EPOCH
from api.orm import AlertRow, AlertVerdict, ClipRow, Event, EventHistory, EvidenceRow, Supervision
from api.orm.base import MAX_ID
from api.schemas.events import (
    ClipOut,
    EventAlertOut,
    EventDetail,
    EventOut,
    HistoryOut,
    SupervisionOut,
    VerdictOut,
)
from api.services.grids import path_of
from api.services.principals import Principal

"""The largest row id (PostgreSQL `integer`)."""


@dataclass(frozen=True)
class EventFilter:
    """Filters of the event list; None means "any"."""

    statuses: tuple[Status, ...] = ()
    type_code: str | None = None
    grid: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool | None = None
    located: bool | None = None


class Order(StrEnum):
    """How a list of events is sorted."""

    NEWEST = "newest"
    URGENCY = "urgency"  # overdue first, then severity, then the oldest


SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def encode_cursor(event_id: int) -> str:
    """An opaque cursor pointing after `event_id`."""
    return base64.urlsafe_b64encode(f"e{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The event id inside a cursor; 422 when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("e") or not text[1:].isdigit() or not 0 < int(text[1:]) <= MAX_ID:
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadInputError(f"cursor {cursor!r} is not valid", loc=("query", "cursor")) from exc


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Open events with a deadline past and its milestone not reached."""
    return and_(
        Event.status.in_(OPEN_STATUSES),
        or_(
            and_(Event.ack_due <= now, Event.acknowledged_at.is_(None)),
            and_(Event.feedback_due <= now, Event.in_progress_at.is_(None)),
            and_(Event.resolution_due <= now, Event.resolved_at.is_(None)),
        ),
    )


def scoped(principal: Principal) -> Select[Event]:
    """Events the principal may see."""
    return select(Event).where(Event.grid_path.startswith(principal.scope_path, autoescape=True))


def urgency_keys(now: datetime) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """(0 when overdue else 1, severity rank 0 = critical): with created_at and id, the urgency order."""
    late = case((overdue_clause(now), 0), else_=1)
    rank = case(*((Event.severity == s, r) for s, r in SEVERITY_RANK.items()), else_=len(SEVERITY_RANK))
    return late, rank


def _micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def _encode_urgency(now: datetime, late: int, rank: int, created_at: datetime, event_id: int) -> str:
    """The page's clock, the last row's keys: `u<now µs>|<late><rank>|<created µs>|<id>` (≤ 64 chars)."""
    text = f"u{_micros(now)}|{late}{rank}|{_micros(created_at)}|{event_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_urgency(cursor: str) -> tuple[datetime, int, int, datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("u"):
            raise ValueError(text)
        now, keys, created, event_id = text[1:].split("|")
        at_now, at_created = (EPOCH + timedelta(microseconds=int(v)) for v in (now, created))
        if len(keys) != 2 or not 0 < int(event_id) <= MAX_ID:
            raise ValueError(text)
        return at_now, int(keys[0]), int(keys[1]), at_created, int(event_id)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadInputError(
            f"cursor {cursor!r} is not valid for order=urgency", loc=("query", "cursor")
        ) from exc


def _after_urgency(now: datetime, cursor: tuple[int, int, datetime, int]) -> ColumnElement[bool]:
    """Rows after `cursor` in urgency order (keyset pagination, spelled out for every database)."""
    late, rank = urgency_keys(now)
    c_late, c_rank, c_created, c_id = cursor
    return or_(
        late > c_late,
        and_(late == c_late, rank > c_rank),
        and_(late == c_late, rank == c_rank, Event.created_at > c_created),
        and_(late == c_late, rank == c_rank, Event.created_at == c_created, Event.id > c_id),
    )


def filtered(session: Session, query: Select[Event], f: EventFilter, now: datetime) -> Select[Event]:
    """`query` narrowed by the filters (a grid code that does not exist is a 422 naming it)."""
    if f.statuses:
        query = query.where(Event.status.in_([s.value for s in f.statuses]))
    if f.type_code:
        query = query.where(Event.type_code == f.type_code)
    if f.grid:
        grid_path = path_of(session=session, code=f.grid)
        if grid_path is None:
            raise BadInputError(f"grid: no grid node with code {f.grid!r}", loc=("query", "grid"))
        query = query.where(Event.grid_path.startswith(grid_path, autoescape=True))
    if f.since:
        query = query.where(Event.created_at >= f.since)
    if f.until:
        query = query.where(Event.created_at < f.until)
    if f.located is not None:
        query = query.where(Event.located.is_(f.located))
    if f.overdue is not None:
        clause = overdue_clause(now)
        query = query.where(clause if f.overdue else ~clause)
    return query


def list_events(
    *,
    session: Session,
    principal: Principal,
    filters: EventFilter,
    cursor: str | None,
    limit: int,
    now: datetime,
    order: Order = Order.NEWEST,
) -> tuple[list[Event], str | None]:
    """One page of events (newest first, or by urgency) and the cursor of the next page (None at the end)."""
    if order is Order.URGENCY:
        return _urgent_events(session, principal, filters, cursor, limit, now)
    query = filtered(session, scoped(principal), filters, now)
    if cursor:
        query = query.where(Event.id < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(Event.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None


def _urgent_events(
    session: Session,
    principal: Principal,
    filters: EventFilter,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> tuple[list[Event], str | None]:
    """A page in urgency order; the cursor keeps the first page's clock so pages do not shift."""
    decoded = _decode_urgency(cursor) if cursor else None
    now = decoded[0] if decoded else now
    late, rank = urgency_keys(now)
    query = filtered(session, scoped(principal), filters, now).add_columns(late, rank)
    if decoded:
        query = query.where(_after_urgency(now, decoded[1:]))
    found = session.execute(query.order_by(late, rank, Event.created_at, Event.id).limit(limit + 1)).all()
    rows = [(r[0], int(r[1]), int(r[2])) for r in found[:limit]]
    if len(found) <= limit or not rows:
        return [e for e, _, _ in rows], None
    last, last_late, last_rank = rows[-1]
    return [e for e, _, _ in rows], _encode_urgency(now, last_late, last_rank, last.created_at, last.id)


def get_event(*, session: Session, principal: Principal, code: str, for_update: bool = False) -> Event:
    """One event by code; 404 when it does not exist or lies outside the principal's scope."""
    query = scoped(principal).where(Event.code == code)
    event = session.scalar(query.with_for_update() if for_update else query)
    if event is None:
        raise NotFoundError(f"no event {code!r} in your scope")
    return event


def event_detail(*, session: Session, principal: Principal, code: str) -> EventDetail:
    """The event with its alerts (and evidence links), history and 督办 records."""
    event = get_event(session=session, principal=principal, code=code)
    alerts = session.execute(
        select(AlertRow, EvidenceRow.id)
        .outerjoin(
            EvidenceRow,
            and_(EvidenceRow.device_id == AlertRow.device_id, EvidenceRow.alert_id == AlertRow.alert_id),
        )
        .where(AlertRow.event_id == event.id)
        .order_by(AlertRow.observed_at, AlertRow.id)
    ).all()
    clips = {
        (c.device_id, c.alert_id): c
        for c in session.scalars(select(ClipRow).where(ClipRow.event_id == event.id, ClipRow.complete))
    }
    history = session.scalars(
        select(EventHistory).where(EventHistory.event_id == event.id).order_by(EventHistory.id)
    )
    supervisions = session.scalars(
        select(Supervision).where(Supervision.event_id == event.id).order_by(Supervision.id)
    )
    verdicts = session.scalars(
        select(AlertVerdict).where(AlertVerdict.event_id == event.id).order_by(AlertVerdict.id)
    )
    return EventDetail(
        event=EventOut.model_validate(event),
        alerts=[
            _alert_out(code, row, evidence_id, clips.get((row.device_id, row.alert_id)))
            for row, evidence_id in alerts
        ],
        history=[HistoryOut.model_validate(h) for h in history],
        supervisions=[SupervisionOut.model_validate(s) for s in supervisions],
        allowed_actions=allowed_actions(Status(event.status)),
        verdicts=[VerdictOut.of(v, code) for v in verdicts],
    )


def _alert_out(code: str, row: AlertRow, evidence_id: int | None, clip: ClipRow | None) -> EventAlertOut:
    out = EventAlertOut.model_validate(row)
    if evidence_id is not None:
        path = f"/v1/events/{quote(code)}/alerts/{quote(row.alert_id)}/evidence"
        out.evidence_url = f"{path}?device_id={quote(row.device_id)}"
    if clip is not None:
        out.clip = ClipOut(
            url=f"/v1/events/{quote(code)}/alerts/{quote(row.alert_id)}/clip?device_id={quote(row.device_id)}",
            sha256=clip.sha256,
            size=clip.size,
            duration_s=clip.duration_s,
            started_at=clip.started_at,
            alert_offset_s=clip.alert_offset_s,
            truncated=clip.truncated,
        )
    return out


def evidence_jpeg(
    *, session: Session, principal: Principal, code: str, alert_id: str, device_id: str | None = None
) -> bytes:
    """The snapshot of one alert of a visible event; 404 otherwise, 409 when the alert id was used by
    two devices of this event and `device_id` does not say which."""
    event = get_event(session=session, principal=principal, code=code)
    query = (
        select(EvidenceRow.device_id, EvidenceRow.jpeg)
        .join(
            AlertRow,
            and_(AlertRow.device_id == EvidenceRow.device_id, AlertRow.alert_id == EvidenceRow.alert_id),
        )
        .where(AlertRow.event_id == event.id, AlertRow.alert_id == alert_id)
    )
    if device_id is not None:
        query = query.where(AlertRow.device_id == device_id)
    found = session.execute(query.order_by(EvidenceRow.id)).all()
    return bytes(the_one(found, what="evidence", alert_id=alert_id, code=code).jpeg)


HasDevice = TypeVar("HasDevice", bound="_FromDevice")


class _FromDevice(Protocol):
    @property
    def device_id(self) -> str: ...


def the_one(found: Sequence[HasDevice], *, what: str, alert_id: str, code: str) -> HasDevice:
    """The one row found for an alert of an event: 404 when none, 409 when two devices of the event
    used the alert id (the caller then names one with `?device_id=`)."""
    if not found:
        raise NotFoundError(f"no {what} for alert {alert_id!r} of event {code!r}")
    if len(found) > 1:
        devices = [row.device_id for row in found]
        raise ConflictError(f"alert id {alert_id!r} was sent by devices {devices}: add ?device_id=")
    return found[0]
