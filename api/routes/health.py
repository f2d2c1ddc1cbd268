"""Liveness/readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.context import ApiContext
from api.deps import CtxDep
from api.errors import NotAuthenticatedError
from api.live_pg import PgFeed
from api.schemas.errors import UNAUTHENTICATED
from api.security import bearer

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    responses={503: {"description": "A background loop (alert writer, a job) is down; see `loops`"}},
)
def healthz(ctx: CtxDep) -> JSONResponse:
    """The database answers; how many 网格 cells the index holds; each background loop's state; this
    replica's name, the jobs it leads (only one replica leads each) and how it hears live changes."""
    with ctx.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    healthy = ctx.supervisor.healthy
    body = {
        "status": "ok" if healthy else "degraded",
        "database": ctx.engine.dialect.name,
        "cells": len(ctx.grids.index),
        "loops": ctx.supervisor.report(),
        "replica": ctx.settings.replica_id,
        "leads": sorted(name for name, leader in ctx.leaders.items() if leader.leading),
        "live": _live_state(ctx),
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


def _live_state(ctx: ApiContext) -> str:
    """How live changes reach this replica's pages: "local" (SQLite, one process), "listening"
    (PostgreSQL: other replicas' changes are heard) or "reconnecting"."""
    if not isinstance(ctx.live, PgFeed):
        return "local"
    return "listening" if ctx.live.listening else "reconnecting"


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}},
        **UNAUTHENTICATED,
    },
)
def metrics(
    ctx: CtxDep,
    authorization: Annotated[str | None, Header(description="Bearer <metrics token>, when set")] = None,
) -> Response:
    """Prometheus text exposition of this instance's metrics (401 without the token, when one is set)."""
    wanted = ctx.settings.metrics_token
    if wanted is not None and not hmac.compare_digest(bearer(authorization).encode(), wanted.encode()):
        raise NotAuthenticatedError("wrong metrics token")
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
