"""Where the worker serves /healthz and /metrics (`edge.health.HealthServer`)."""

from __future__ import annotations

from pydantic import Field

from gridwatch.strict import Strict


class HttpConfig(Strict):
    """Where the worker serves /healthz and /metrics."""

    host: str = Field(default="127.0.0.1", description="Address to listen on")
    port: int = Field(default=9108, ge=0, le=65535, description="Port; 0 turns the endpoint off")
