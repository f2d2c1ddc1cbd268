"""A subscriber's circuit breaker: after enough failures in a row, stop sending to it for a while.

The state (failures in a row, paused until) lives on the subscription row, so every replica sees
the same breaker. While paused nothing is sent and nothing is spent: the deliveries keep their
attempts and wait. When the pause is over one replica wins the right to send a single probe; a
success closes the breaker, a failure pauses it again.

Example:
    >>> policy = BreakerPolicy(failures=5, pause_s=30.0)
    >>> policy.pause_after(4), policy.pause_after(5), policy.pause_after(9)
    (None, 30.0, 30.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Gate(StrEnum):
    """What the breaker lets through now."""

    CLOSED = "closed"
    """Send freely (within the concurrency limits)."""
    PAUSED = "paused"
    """Send nothing."""
    PROBE = "probe"
    """The pause is over: one attempt may test the subscriber."""


@dataclass(frozen=True)
class BreakerPolicy:
    """When a subscriber's breaker opens, and for how long."""

    failures: int
    """Failures in a row that open the breaker."""
    pause_s: float
    """How long it stays open before a probe."""

    def pause_after(self, streak: int) -> float | None:
        """Seconds to pause after `streak` failures in a row; None while the breaker stays closed."""
        return self.pause_s if streak >= self.failures else None

    def gate(self, *, streak: int, paused_until: datetime | None, now: datetime) -> Gate:
        """What may be sent to a subscriber with this state now."""
        if paused_until is not None and paused_until > now:
            return Gate.PAUSED
        return Gate.PROBE if streak >= self.failures else Gate.CLOSED
