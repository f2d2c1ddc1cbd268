"""The periodic in-process loop that runs each centre job (escalation, retention, grid refresh, fleet)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)


async def every(
    interval_s: float, job: Callable[[], object], name: str, on_error: Callable[[], None] = lambda: None
) -> None:
    """Run `job` in a worker thread every `interval_s` seconds; log and count failures, keep going."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(job)
        except Exception:
            logger.exception("periodic job %s failed; will retry in %.0f s", name, interval_s)
            on_error()
