"""`GET /live`: server-sent events telling an open console page which events in its scope changed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from api.console.deps import SESSION_COOKIE, LoginRequiredError, mark_console, read_login
from api.context import ApiContext
from api.deps import CtxDep
from api.services.accounts import LoggedIn

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])

HEARTBEAT_S = 15.0
"""Silence is broken this often (proxies close idle streams); the session is re-checked then too."""


async def _still_logged_in(ctx: ApiContext, token: str) -> bool:
    try:
        await asyncio.to_thread(read_login, ctx, token, datetime.now(UTC))
    except LoginRequiredError:
        return False
    return True


async def _stream(ctx: ApiContext, login: LoggedIn, token: str) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    ctx.metrics.console_live_clients.inc()
    try:
        with ctx.live.fanout.subscribe(login.principal.scope_path) as subscription:
            async for change in subscription.changes(HEARTBEAT_S):
                if change is not None:
                    yield f"event: change\ndata: {json.dumps({'code': change.code, 'kind': change.kind})}\n\n"
                elif not subscription.closed and not await _still_logged_in(ctx, token):
                    yield "event: logout\ndata: {}\n\n"
                    return
                else:
                    yield ": ping\n\n"  # also a resync after an overflow: pages refresh on any message
    finally:
        ctx.metrics.console_live_clients.dec()


@router.get("/live")
async def live(request: Request, ctx: CtxDep) -> StreamingResponse:
    """A text/event-stream of `change` events (code and kind) for events in the user's scope."""
    token = request.cookies.get(SESSION_COOKIE, "")
    login = await asyncio.to_thread(read_login, ctx, token, datetime.now(UTC))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(_stream(ctx, login, token), media_type="text/event-stream", headers=headers)
