"""Builds the grid map's default views in the background, at start and after every change of the
grid index, so that the first `/map` after a start or an import does not build 42,700 shapes itself
(a request that comes while a build runs waits for that build: `LayerCache`)."""

from __future__ import annotations

import asyncio
import logging

from api.context import ApiContext
from api.services.gridmap import warm_layers

logger = logging.getLogger(__name__)

POLL_S = 1.0
"""How often the in-memory grid index's revision is compared with the one warmed (no database read)."""
RETRY_S = 30.0
"""Pause after a failed warm-up (the views are still built by their first request meanwhile)."""


def warm_map(ctx: ApiContext) -> list[str]:
    """Build (unless cached) the default map views' layers for the current grids; their paths."""
    with ctx.sessions() as session:
        return warm_layers(session=session, layers=ctx.map_layers, scopes=ctx.settings.map_warm_views)


async def keep_map_warm(ctx: ApiContext, poll_s: float = POLL_S, retry_s: float = RETRY_S) -> None:
    """Warm the map now and again whenever the grid index changes; a failed warm-up is logged,
    counted and tried again at the next look."""
    warmed: int | None = None
    while True:
        revision = ctx.grids.revision
        if revision != warmed:
            try:
                paths = await _finished(asyncio.ensure_future(asyncio.to_thread(warm_map, ctx)))
            except Exception:
                logger.exception("building the map's default views failed; trying again in %.0f s", retry_s)
                ctx.metrics.job_failures.labels("map warm-up").inc()
                await asyncio.sleep(retry_s)
            else:
                warmed = revision
                ctx.metrics.map_warm_revision.set(revision)
                logger.info("map views of grid revision %d built: %s", revision, ", ".join(paths))
        await asyncio.sleep(poll_s)


async def _finished(build: asyncio.Future[list[str]]) -> list[str]:
    """The build's result; when cancelled (shutdown), first let the build end: its thread holds a
    database session, which must be back before the engine is disposed."""
    try:
        return await asyncio.shield(build)
    except asyncio.CancelledError:
        await asyncio.wait([build])
        raise
