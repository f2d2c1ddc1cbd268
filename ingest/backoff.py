"""Exponential backoff with jitter and a cap, for reconnect loops."""

from __future__ import annotations

import random

from ingest.config import BackoffConfig


class Backoff:
    """Produce growing, jittered, capped delays; ``reset()`` after a success.

    Example:
        >>> backoff = Backoff(BackoffConfig(initial_s=0.5, max_s=8))
        >>> backoff.next_delay()  # about 0.5, then about 1, 2, 4, 8, 8, ...
    """

    def __init__(self, config: BackoffConfig, rng: random.Random | None = None) -> None:
        self._config = config
        self._rng = rng or random.Random()
        self._failures = 0

    def next_delay(self) -> float:
        """Return the delay before the next attempt, in seconds, and count one more failure."""
        base = min(self._config.max_s, self._config.initial_s * self._config.factor**self._failures)
        if base < self._config.max_s:
            self._failures += 1
        return base * (1.0 - self._config.jitter * self._rng.random())

    def reset(self) -> None:
        """Start again from the initial delay."""
        self._failures = 0
