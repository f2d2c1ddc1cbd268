"""The event page: detail, evidence, actions as forms, comments — through the JSON routes' services."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import ValidationError

from api.console.deps import CsrfLoginDep, PageDep, make_page, mark_console, redirect
from api.console.errors import wants_page
from api.console.event_view import EventView, build_event
from api.console.templating import Page
from api.context import ApiContext
from api.deps import CtxDep
from api.errors import ApiError, BadInputError
from api.live import commit_and_publish
from api.routes.clips import clip_response
from api.schemas.events import ActionIn, CommentIn
from api.services.accounts import LoggedIn
from api.services.actions import apply_action
from api.services.clips import clip_of
from api.services.comments import add_comment
from api.services.events import event_detail, evidence_jpeg, get_event
from api.services.grids import grid_nodes
from api.services.queue import mark_viewed
from api.services.readings import readings_around
from gridwatch.yamlfile import problems

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])

ACTION_FIELDS = ("action", "note", "department", "worker", "feedback", "rating", "reason")


def load_event(ctx: ApiContext, page: Page, code: str) -> EventView:
    """The event's view model (404 outside the user's scope); marks it reviewed by the user."""
    assert page.login is not None
    principal, now = page.login.principal, datetime.now(UTC)
    with ctx.sessions() as session:
        detail = event_detail(session=session, principal=principal, code=code)
        event = get_event(session=session, principal=principal, code=code)
        codes = {c for c in detail.event.grid_path.split("/") if c} | {detail.event.responsible_grid or ""}
        view = build_event(
            detail=detail,
            nodes=grid_nodes(session=session, codes=codes),
            readings=readings_around(session=session, principal=principal, event=event),
            principal=principal,
            t=page.t,
            types={c: et.name for c, et in ctx.centre.event_types.items()},
            now=now,
        )
        mark_viewed(session=session, user_id=principal.user_id, event=event, now=now)
        session.commit()
    return view


@router.get("/events/{code}")
def event_page(code: str, ctx: CtxDep, page: PageDep, done: str = "") -> Response:
    """Everything about one event."""
    return page.render("event.html", view=load_event(ctx, page, code), done=done, problem=None)


@router.get("/events/{code}/alerts/{alert_id}/snapshot")
def snapshot(code: str, alert_id: str, ctx: CtxDep, page: PageDep, device_id: str | None = None) -> Response:
    """An alert's snapshot JPEG (boxes drawn at the edge), for users who may see the event."""
    assert page.login is not None
    with ctx.sessions() as session:
        jpeg = evidence_jpeg(
            session=session, principal=page.login.principal, code=code, alert_id=alert_id, device_id=device_id
        )
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(jpeg, media_type="image/jpeg", headers=headers)


@router.get("/events/{code}/alerts/{alert_id}/clip")
def clip(
    code: str,
    alert_id: str,
    ctx: CtxDep,
    page: PageDep,
    device_id: str | None = None,
    range_header: Annotated[str | None, Header(alias="range")] = None,
    if_range: Annotated[str | None, Header()] = None,
) -> Response:
    """An alert's evidence clip (MP4), with range requests, for users who may see the event."""
    assert page.login is not None
    with ctx.sessions() as session:
        row = clip_of(
            session=session, principal=page.login.principal, code=code, alert_id=alert_id, device_id=device_id
        )
    return clip_response(ctx.evidence_store(), row, range_header=range_header, if_range=if_range)


def action_body(form: dict[str, str]) -> ActionIn:
    """The form as the JSON route's body (one definition of what each action needs)."""
    data: dict[str, object] = {k: form[k] for k in ACTION_FIELDS if form.get(k)}
    if form.get("verdict"):
        verdict = {"kind": form["verdict"], "false_alarm": form.get("false_alarm") or None}
        if form.get("duplicate_of"):
            verdict["duplicate_of"] = form["duplicate_of"]
        data["verdict"] = verdict
    try:
        return ActionIn.model_validate(data)
    except ValidationError as exc:
        raise BadInputError(problems(exc, top="form", values=False)) from None


def _problem_page(ctx: ApiContext, page: Page, code: str, exc: ApiError, action: str) -> Response:
    view = load_event(ctx, page, code)
    problem = {"status": exc.status_code, "detail": str(exc), "action": action}
    return page.render("event.html", status=exc.status_code, view=view, done="", problem=problem)


@router.post("/events/{code}/actions")
async def take_action(code: str, request: Request, ctx: CtxDep, login: CsrfLoginDep) -> Response:
    """Acknowledge, dispatch, start, resolve, close, dismiss (with a verdict) or reopen."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    page = make_page(request, ctx, login)
    try:
        await asyncio.to_thread(_act, ctx, login, code, action_body(form))
    except ApiError as exc:
        if not wants_page(request):
            raise
        return await asyncio.to_thread(_problem_page, ctx, page, code, exc, form.get("action", ""))
    if not wants_page(request):
        return Response(status_code=204)
    return redirect(f"/events/{code}?done={form['action']}")


def _act(ctx: ApiContext, login: LoggedIn, code: str, body: ActionIn) -> None:
    with ctx.sessions() as session:
        apply_action(session=session, principal=login.principal, code=code, body=body, now=datetime.now(UTC))
        commit_and_publish(session, ctx.live)


@router.post("/events/{code}/comments")
async def comment(code: str, request: Request, ctx: CtxDep, login: CsrfLoginDep) -> Response:
    """Add a comment to the history."""
    form = await request.form()
    page = make_page(request, ctx, login)
    try:
        body = CommentIn(text=str(form.get("text", "")))
    except ValidationError:
        problem = BadInputError(page.t("event.comment_empty"))
        return await asyncio.to_thread(_problem_page, ctx, page, code, problem, "comment")
    await asyncio.to_thread(_comment, ctx, login, code, body.text)
    return redirect(f"/events/{code}?done=comment#history")


def _comment(ctx: ApiContext, login: LoggedIn, code: str, text: str) -> None:
    with ctx.sessions() as session:
        add_comment(session=session, principal=login.principal, code=code, text=text, now=datetime.now(UTC))
        commit_and_publish(session, ctx.live)
