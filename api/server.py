"""Running the app under uvicorn so that open live streams (console pages) end at once on shutdown.

uvicorn waits for open connections before it shuts the app down; a server-sent-event stream never
ends by itself, so the exit signal first tells every live subscription to finish.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI

from api.deps import context_of

GRACE_S = 10
"""Longest wait for requests in flight after the exit signal."""


class ApiServer(uvicorn.Server):
    """A uvicorn server that calls `on_exit` when it is asked to stop."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)


def serve(app: FastAPI, *, host: str, port: int) -> None:
    """Serve `app` until SIGINT/SIGTERM; live streams are closed first."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, timeout_graceful_shutdown=GRACE_S)
    ApiServer(config, context_of(app).live.fanout.close_all).run()
