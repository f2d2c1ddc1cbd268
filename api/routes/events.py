"""Events: list (filters, cursor), detail, evidence, actions — all within the caller's scope.

Filter times without a zone (`?since=2026-11-28T00:00:00`, as dashboards send them) are read in the
centre's time zone; times beyond the calendar in UTC are clamped to its ends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CtxDep, PrincipalDep, SessionDep
from api.live import commit_and_publish
from api.logic.lifecycle import Status
from api.logic.times import filter_time
from api.schemas.errors import AUTHENTICATED, CONFLICT, FORBIDDEN, NOT_FOUND, ErrorOut
from api.schemas.events import ActionIn, CommentIn, EventDetail, EventOut, EventPage, HistoryOut
from api.services.actions import apply_action
from api.services.comments import add_comment
from api.services.events import EventFilter, Order, event_detail, evidence_jpeg, list_events

router = APIRouter(prefix="/v1/events", tags=["events"], responses=AUTHENTICATED)


@router.get("")
def get_events(
    *,
    ctx: CtxDep,
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[list[Status] | None, Query(description="Any of these statuses")] = None,
    type: Annotated[str | None, Query(max_length=16, description="Event type code, e.g. FIRE")] = None,
    grid: Annotated[
        str | None, Query(max_length=64, description="Code of a grid node: its whole subtree")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Opened at or after (ISO 8601; no zone = the centre's zone)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Opened before (ISO 8601; no zone = the centre's zone)")
    ] = None,
    overdue: Annotated[bool | None, Query(description="Only events past (true) / within (false) SLA")] = None,
    located: Annotated[bool | None, Query(description="false: only events outside every cell")] = None,
    cursor: Annotated[
        str | None, Query(max_length=64, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    order: Annotated[
        Order, Query(description="newest first, or urgency: overdue, severity, oldest")
    ] = Order.NEWEST,
) -> EventPage:
    """Events in your scope, newest first (or most urgent first)."""
    zone = ctx.centre.zone
    filters = EventFilter(
        tuple(status or ()), type, grid, filter_time(since, zone), filter_time(until, zone), overdue, located
    )
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


@router.get("/{code}", responses=NOT_FOUND)
def get_event_detail(code: str, session: SessionDep, principal: PrincipalDep) -> EventDetail:
    """One event with its alerts, evidence links, history, 督办 records and allowed actions."""
    return event_detail(session=session, principal=principal, code=code)


@router.get(
    "/{code}/alerts/{alert_id}/evidence",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
        **NOT_FOUND,
        **CONFLICT,
    },
)
def get_evidence(
    code: str,
    alert_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    device_id: Annotated[
        str | None, Query(max_length=64, description="The sending device (alert ids are unique per device)")
    ] = None,
) -> Response:
    """The JPEG snapshot of one alert (409 when two devices of the event used the id: name the device)."""
    jpeg = evidence_jpeg(
        session=session, principal=principal, code=code, alert_id=alert_id, device_id=device_id
    )
    return Response(jpeg, media_type="image/jpeg")


@router.post(
    "/{code}/actions",
    responses={
        **FORBIDDEN,
        **NOT_FOUND,
        409: {"model": ErrorOut, "description": "Invalid transition; lists the allowed"},
    },
)
def post_action(
    code: str, body: ActionIn, ctx: CtxDep, session: SessionDep, principal: PrincipalDep
) -> EventOut:
    """Acknowledge, dispatch, start, resolve, close, dismiss or reopen an event."""
    event = apply_action(session=session, principal=principal, code=code, body=body, now=datetime.now(UTC))
    commit_and_publish(session, ctx.live)
    return EventOut.model_validate(event)


@router.post("/{code}/comments", status_code=201, responses=NOT_FOUND)
def post_comment(
    code: str, body: CommentIn, ctx: CtxDep, session: SessionDep, principal: PrincipalDep
) -> HistoryOut:
    """Add a comment to the event's history."""
    entry = add_comment(
        session=session, principal=principal, code=code, text=body.text, now=datetime.now(UTC)
    )
    commit_and_publish(session, ctx.live)
    return HistoryOut.model_validate(entry)
