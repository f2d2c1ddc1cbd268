"""Keeps the centre's background loops running and says when one is down (`/healthz`).

A loop (the alert writer, the periodic jobs) handles each item's failure itself; this is the layer
behind that: a loop that ends anyway is logged with its traceback, counted, and started again
after a pause, and while it is down the instance reports itself unhealthy.

Example:
    >>> supervisor = Supervisor(restart_s=5.0)  # doctest: +SKIP
    >>> supervisor.start("webhooks", lambda: every(2.0, deliver, "webhooks"))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

logger = logging.getLogger(__name__)


@dataclass
class LoopState:
    """How one supervised loop is doing."""

    running: bool = False
    restarts: int = 0
    last_error: str | None = None
    down_since: datetime | None = None

    def report(self) -> dict[str, object]:
        """The state as /healthz shows it."""
        return {
            "state": "running" if self.running else "down",
            "restarts": self.restarts,
            "last_error": self.last_error,
            "down_since": self.down_since.isoformat() if self.down_since else None,
        }


class Supervisor:
    """Runs named coroutines as tasks and restarts any that ends; see the module docstring."""

    def __init__(self, *, restart_s: float, on_restart: Callable[[str], None] = lambda name: None) -> None:
        self._restart_s = restart_s
        self._on_restart = on_restart
        self.loops: dict[str, LoopState] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run `loop()` under supervision, on the running event loop."""
        self.loops[name] = LoopState()
        self._tasks.append(asyncio.get_running_loop().create_task(self._keep(name, loop), name=name))

    @property
    def healthy(self) -> bool:
        """Every supervised loop is running."""
        return all(state.running for state in self.loops.values())

    def report(self) -> dict[str, dict[str, object]]:
        """Each loop's state, by name."""
        return {name: state.report() for name, state in self.loops.items()}

    async def stop(self) -> None:
        """Cancel every loop and wait for them to end."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _keep(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        state = self.loops[name]
        while True:
            state.running, state.down_since = True, None
            try:
                await loop()
                reason = "the loop returned"
            except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
                state.running = False
                raise
            except BaseException as exc:
                reason = f"{type(exc).__name__}: {exc}"
                logger.error("background loop %s died (%s)", name, reason, exc_info=exc)
            state.running, state.down_since = False, datetime.now(UTC)
            state.restarts += 1
            state.last_error = reason
            self._on_restart(name)
            logger.warning("restarting background loop %s in %.1f s", name, self._restart_s)
            await asyncio.sleep(self._restart_s)
