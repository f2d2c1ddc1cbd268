"""The queue (`/`): events in the user's scope, most urgent first, filters in the URL."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request, Response

from api.console.deps import PageDep, mark_console
from api.console.queue_view import QueueQuery, build_queue
from api.deps import CtxDep

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])


@router.get("/")
def queue_page(request: Request, ctx: CtxDep, page: PageDep) -> Response:
    """The queue page (scripts fetch the same URL to refresh it live)."""
    assert page.login is not None
    query = QueueQuery.parse(request.query_params)
    with ctx.sessions() as session:
        view = build_queue(
            session=session,
            principal=page.login.principal,
            query=query,
            t=page.t,
            types={c: et.name for c, et in ctx.centre.event_types.items()},
            zone=ctx.centre.zone,
            now=datetime.now(UTC),
        )
    return page.render("queue.html", view=view)
