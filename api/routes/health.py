"""Liveness/readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import CtxDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(ctx: CtxDep) -> dict[str, object]:
    """The database answers; how many 网格 cells the in-memory index holds."""
    with ctx.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok", "database": ctx.engine.dialect.name, "cells": len(ctx.grids.index)}


@router.get("/metrics", response_class=Response)
def metrics(ctx: CtxDep) -> Response:
    """Prometheus text exposition of this instance's metrics."""
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
