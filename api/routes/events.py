"""Events: list (filters, cursor), detail, evidence, actions — all within the caller's scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CtxDep, PrincipalDep, SessionDep
from api.live import commit_and_publish
from api.logic.lifecycle import Status
from api.schemas.events import ActionIn, CommentIn, EventDetail, EventOut, EventPage, HistoryOut
from api.services.actions import apply_action
from api.services.comments import add_comment
from api.services.events import EventFilter, Order, event_detail, evidence_jpeg, list_events

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get("")
def get_events(
    *,
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[list[Status] | None, Query(description="Any of these statuses")] = None,
    type: Annotated[str | None, Query(description="Event type code, e.g. FIRE")] = None,
    grid: Annotated[str | None, Query(description="Code of a grid node: its whole subtree")] = None,
    since: Annotated[datetime | None, Query(description="Opened at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Opened before (ISO 8601)")] = None,
    overdue: Annotated[bool | None, Query(description="Only events past (true) / within (false) SLA")] = None,
    located: Annotated[bool | None, Query(description="false: only events outside every cell")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    order: Annotated[
        Order, Query(description="newest first, or urgency: overdue, severity, oldest")
    ] = Order.NEWEST,
) -> EventPage:
    """Events in your scope, newest first (or most urgent first)."""
    filters = EventFilter(tuple(status or ()), type, grid, since, until, overdue, located)
    rows, next_cursor = list_events(
        session=session,
        principal=principal,
        filters=filters,
        cursor=cursor,
        limit=limit,
        now=datetime.now(UTC),
        order=order,
    )
    return EventPage(items=[EventOut.model_validate(e) for e in rows], next_cursor=next_cursor)


@router.get("/{code}")
def get_event_detail(code: str, session: SessionDep, principal: PrincipalDep) -> EventDetail:
    """One event with its alerts, evidence links, history, 督办 records and allowed actions."""
    return event_detail(session=session, principal=principal, code=code)


@router.get("/{code}/alerts/{alert_id}/evidence", response_class=Response)
def get_evidence(code: str, alert_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """The JPEG snapshot of one alert."""
    jpeg = evidence_jpeg(session=session, principal=principal, code=code, alert_id=alert_id)
    return Response(jpeg, media_type="image/jpeg")


@router.post("/{code}/actions", responses={409: {"description": "Invalid transition; lists the allowed"}})
def post_action(
    code: str, body: ActionIn, ctx: CtxDep, session: SessionDep, principal: PrincipalDep
) -> EventOut:
    """Acknowledge, dispatch, start, resolve, close, dismiss or reopen an event."""
    event = apply_action(session=session, principal=principal, code=code, body=body, now=datetime.now(UTC))
    commit_and_publish(session, ctx.live)
    return EventOut.model_validate(event)


@router.post("/{code}/comments", status_code=201)
def post_comment(
    code: str, body: CommentIn, ctx: CtxDep, session: SessionDep, principal: PrincipalDep
) -> HistoryOut:
    """Add a comment to the event's history."""
    entry = add_comment(
        session=session, principal=principal, code=code, text=body.text, now=datetime.now(UTC)
    )
    commit_and_publish(session, ctx.live)
    return HistoryOut.model_validate(entry)
