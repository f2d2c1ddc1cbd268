"""The app factory: `create_app(settings)` builds everything; nothing happens at import time.

Example:
    >>> app = create_app(ApiSettings(database_url="sqlite:///:memory:"))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from api import migrate
from api.centre import load_centre_config
from api.console import install_console
from api.console.errors import console_error
from api.context import ApiContext
from api.db import make_engine, make_sessionmaker
from api.errors import ApiError, BadInputError, ConfigError, ConflictError
from api.jobs import fleet as fleet_jobs
from api.jobs import units as jobs
from api.jobs.dispatcher import WebhookDispatcher
from api.jobs.map_warm import keep_map_warm
from api.jobs.periodic import every
from api.leader import Leadership
from api.live import ChangeFeed, LocalFeed
from api.live_pg import PgFeed
from api.metrics import ApiMetrics
from api.middleware import BodyLimit, CleanUrl
from api.routes import (
    admin,
    alerts,
    box_config,
    clips,
    devices,
    events,
    evidence,
    grids,
    health,
    quality,
    stats,
    verdicts,
    webhooks,
)
from api.schemas.errors import BODY
from api.services.batcher import GroupCommitter
from api.settings import ApiSettings
from gridwatch.contracts.heartbeat import Heartbeat

logger = logging.getLogger(__name__)

ERROR_REF = "#/components/schemas/ErrorOut"


def build_context(settings: ApiSettings) -> ApiContext:
    """Load the centre config and open the database engine; on PostgreSQL live changes go to every
    replica (LISTEN/NOTIFY), on SQLite they stay in the one process."""
    engine = make_engine(settings.database_url)
    metrics = ApiMetrics()
    live: ChangeFeed = (
        PgFeed(engine, origin=settings.replica_id, on_reconnect=metrics.live_reconnects.inc)
        if engine.dialect.name == "postgresql"
        else LocalFeed()
    )
    return ApiContext(
        settings=settings,
        centre=load_centre_config(settings.centre_config),
        engine=engine,
        sessions=make_sessionmaker(engine),
        metrics=metrics,
        live=live,
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if getattr(request.state, "console", False):
        return console_error(request, exc)
    if isinstance(exc, BadInputError):
        return JSONResponse({"detail": exc.details()}, status_code=exc.status_code)
    body: dict[str, object] = {"detail": str(exc)}
    if isinstance(exc, ConflictError) and exc.allowed is not None:
        body["allowed"] = exc.allowed
    return JSONResponse(body, status_code=exc.status_code)


def _shown_input(value: object) -> bool:
    """Echo an offending input only when it is short text or a plain value (never bytes, never MBs)."""
    return (
        value is None
        or isinstance(value, bool | int | float)
        or (isinstance(value, str) and len(value) <= 256)
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {key: value for key, value in error.items() if key != "input" or _shown_input(value)}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def _periodic(ctx: ApiContext) -> list[tuple[float, Callable[[], object], str]]:
    """The periodic jobs: escalation, evidence retention and the fleet's offline sweep each on the one
    replica that leads it,
    grid refresh on every replica (each holds its own in-memory index)."""
    settings = ctx.settings
    return [
        (settings.escalation_interval_s, _led(ctx, "escalation", jobs.run_escalation), "escalation"),
        (settings.grid_refresh_s, partial(jobs.refresh_grids, ctx), "grid refresh"),
        (settings.retention_interval_s, _led(ctx, "retention", jobs.run_retention), "retention"),
        (settings.fleet_interval_s, _led(ctx, "fleet", fleet_jobs.run_fleet_sweep), "fleet"),
    ]


def _led(ctx: ApiContext, name: str, job: Callable[[ApiContext], object]) -> Callable[[], object]:
    """`job(ctx)`, run only while this replica leads job `name` (`api.leader`)."""
    leader = ctx.leaders.setdefault(name, Leadership(ctx.engine, name))

    def run() -> object:
        leading = leader.holds()
        ctx.metrics.leader.labels(name).set(1 if leading else 0)
        return job(ctx) if leading else None

    return run


def _start_loops(ctx: ApiContext, committer: GroupCommitter[Any, Any]) -> None:
    """The alert writer, the webhook sender and the periodic jobs, each kept running by the
    context's supervisor."""
    ctx.supervisor.start("alert-writer", committer.run)
    if isinstance(ctx.live, PgFeed):
        ctx.supervisor.start("live", ctx.live.listen)
    if ctx.settings.webhook_interval_s > 0:
        policy = jobs.delivery_policy(ctx.settings)
        dispatcher = WebhookDispatcher(
            ctx.sessions, policy, ctx.resolver, ctx.metrics, interval_s=ctx.settings.webhook_interval_s
        )
        ctx.supervisor.start("webhooks", dispatcher.run)
    if ctx.settings.map_warm_views > 0:
        ctx.supervisor.start("map warm-up", partial(keep_map_warm, ctx))
    for interval_s, job, name in _periodic(ctx):
        if interval_s > 0:
            on_error = ctx.metrics.job_failures.labels(name).inc
            ctx.supervisor.start(name, partial(every, interval_s, job, name, on_error))


async def _prepare_database(ctx: ApiContext) -> None:
    if ctx.settings.should_migrate_on_start:
        await asyncio.to_thread(migrate.upgrade, ctx.engine)
    elif not await asyncio.to_thread(migrate.is_current, ctx.engine):
        raise ConfigError("the database schema is not the newest: run `gridwatch api migrate` first")
    cells = await asyncio.to_thread(jobs.reload_grids, ctx)
    logger.info("grid index holds %d cells", cells)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    ctx: ApiContext = app.state.ctx
    committer = GroupCommitter(partial(jobs.store_alerts, ctx), max_size=ctx.settings.batch_max_size)
    committer.on_batch = ctx.metrics.batch_size.observe
    beats = GroupCommitter(partial(fleet_jobs.store_heartbeats, ctx), max_size=ctx.settings.batch_max_size)
    loop_connection: Connection | None = None
    try:
        await _prepare_database(ctx)
        if ctx.engine.dialect.name == "sqlite":
            # The loop's own connection, held for good, so the quick path never waits for the pool.
            loop_connection = ctx.engine.connect()
            sessions = partial(Session, bind=loop_connection, expire_on_commit=False)
            committer.quick = partial(jobs.store_alerts, ctx, wait=False, sessions=sessions)
        _start_loops(ctx, committer)
        ctx.supervisor.start("heartbeat-writer", beats.run)
        app.state.committer, app.state.heartbeats = committer, beats
        yield
    finally:
        ctx.live.fanout.close_all()
        await ctx.supervisor.stop()
        for leader in ctx.leaders.values():
            await asyncio.to_thread(leader.release)
        await committer.stop()
        await beats.stop()
        if loop_connection is not None:
            loop_connection.close()
        ctx.engine.dispose()


def _document_bodies(schema: dict[str, Any]) -> None:
    """Every operation that takes a body can answer 400 (not JSON / not UTF-8) and 413 (too large)."""
    for methods in schema["paths"].values():
        for operation in methods.values():
            if "requestBody" in operation:
                for status, response in BODY.items():
                    operation["responses"].setdefault(
                        str(status),
                        {
                            "description": response["description"],
                            "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                        },
                    )


def _openapi_with_alert_body(app: FastAPI) -> Callable[[], dict[str, Any]]:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = generate()
        if fresh:
            alerts.document_alert_body(schema, Heartbeat)
            _document_bodies(schema)
        return schema

    return openapi


def create_app(settings: ApiSettings | None = None, *, ctx: ApiContext | None = None) -> FastAPI:
    """A ready-to-serve app; settings come from the environment when not given."""
    ctx = ctx or build_context(settings or ApiSettings())
    app = FastAPI(title="GridWatch central API", version="0.1.0", lifespan=_lifespan)
    app.state.ctx = ctx
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(CleanUrl)
    limits = {grids.IMPORT_PATH: ctx.settings.grid_import_max_bytes}
    app.add_middleware(BodyLimit, limit=ctx.settings.max_body_bytes, per_path=limits)
    routers = (alerts, health, events, grids, admin, webhooks, stats, devices, box_config, clips, evidence)
    for module in routers:  # the busiest route first
        app.include_router(module.router)
    app.include_router(verdicts.router)
    app.include_router(quality.router)
    install_console(app)
    app.openapi = _openapi_with_alert_body(app)  # type: ignore[method-assign]
    return app
