"""Settings of the box's outbox (`edge.outbox.Outbox`)."""

from __future__ import annotations

from pydantic import Field

from gridwatch.strict import Strict


class OutboxConfig(Strict):
    """How big the outbox may grow and how long delivered alerts are remembered."""

    max_pending: int = Field(
        default=50_000,
        ge=1,
        description="Undelivered alerts kept; beyond it the oldest low/medium one is dropped",
    )
    keep_delivered_s: float = Field(
        default=7 * 86400, ge=0, description="Delivered alerts are kept this long (ids stay deduplicated)"
    )
