"""One episode of a condition: pending for a minimum duration, raised once, cleared once."""

from __future__ import annotations

from datetime import datetime

from gridwatch.contracts.alert import AlertPhase


class Episode:
    """The raise/clear state machine every sensor rule shares.

    ``update(condition, clear, at)`` returns RAISED the first time ``condition`` has held for
    ``min_duration_s``, then nothing until ``clear`` holds, which returns CLEARED. A condition that
    lapses before the duration is reached starts the wait again.

    Example:
        >>> episode = Episode(min_duration_s=30)
        >>> episode.update(condition=True, clear=False, at=t0)           # None: pending
        >>> episode.update(condition=True, clear=False, at=t0 + 30 s)    # AlertPhase.RAISED
    """

    def __init__(self, min_duration_s: float = 0.0) -> None:
        self.min_duration_s = min_duration_s
        self.pending_since: datetime | None = None
        self.raised_at: datetime | None = None
        self.started_at: datetime | None = None

    @property
    def active(self) -> bool:
        """True between a raise and its clear."""
        return self.raised_at is not None

    def update(self, *, condition: bool, clear: bool, at: datetime) -> AlertPhase | None:
        """Advance with one observation; the phase change it causes, if any."""
        if self.raised_at is not None:
            if not clear:
                return None
            self.raised_at = None
            return AlertPhase.CLEARED
        if not condition:
            self.pending_since = None
            return None
        if self.pending_since is None:
            self.pending_since = at
        if (at - self.pending_since).total_seconds() < self.min_duration_s:
            return None
        self.raised_at, self.started_at, self.pending_since = at, self.pending_since, None
        return AlertPhase.RAISED
