"""The one backoff of GridWatch: growing, jittered, capped delays between attempts.

Every retrying thing on the box uses it, with its own `BackoffConfig` (one YAML spelling
everywhere: `backoff: {initial_s, max_s, factor, jitter}`): a video source reconnecting, the MQTT
feed reconnecting, the publisher pausing and retrying one alert, the clip sender, a supervised
thread restarting. A loop with one attempt at a time keeps a `Backoff`; a queue whose items carry
their own failure count (an outbox row, a clip) asks `BackoffConfig.delay(failures)`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any, Self

from pydantic import Field, model_validator

from gridwatch.strict import Strict


class BackoffConfig(Strict):
    """Delays between attempts: `initial_s`, multiplied by `factor` after each failure, up to `max_s`.

    Example:
        >>> BackoffConfig(initial_s=0.5, max_s=4, jitter=0).delay(3)
        4.0
    """

    initial_s: float = Field(0.5, gt=0, description="Delay before the first retry, seconds.")
    max_s: float = Field(30.0, gt=0, description="Upper bound of the delay between attempts, seconds.")
    factor: float = Field(2.0, ge=1, description="Multiplier applied to the delay after each failure.")
    jitter: float = Field(
        0.2, ge=0, le=1, description="Fraction of each delay drawn at random (0: none, 1: full jitter)."
    )

    @model_validator(mode="after")
    def _max_not_below_initial(self) -> Self:
        if self.max_s < self.initial_s:
            msg = f"max_s ({self.max_s}) must not be below initial_s ({self.initial_s})"
            raise ValueError(msg)
        return self

    def base(self, failures: int) -> float:
        """The delay after `failures` earlier failures (0: the first retry), before jitter."""
        if self.factor == 1 or self.max_s == self.initial_s:
            return self.initial_s
        to_cap = math.ceil(math.log(self.max_s / self.initial_s, self.factor))
        return min(self.max_s, self.initial_s * self.factor ** min(max(failures, 0), to_cap))

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """The delay after `failures` earlier failures, jittered: up to `jitter` of it drawn off."""
        draw = (rng or _RNG).random()
        return self.base(failures) * (1.0 - self.jitter * draw)


_RNG = random.Random()  # jitter, not crypto


class Backoff:
    """The delays of one retry loop: each `next_delay()` counts a failure, `reset()` after a success.

    Example:
        >>> backoff = Backoff(BackoffConfig(initial_s=0.5, max_s=8))
        >>> backoff.next_delay()  # about 0.5, then about 1, 2, 4, 8, 8, ...
    """

    def __init__(self, config: BackoffConfig, rng: random.Random | None = None) -> None:
        self.config = config
        self._rng = rng or random.Random()
        self.failures = 0

    def next_delay(self) -> float:
        """Return the delay before the next attempt, in seconds, and count one more failure."""
        delay = self.config.delay(self.failures, self._rng)
        self.failures += 1
        return delay

    def reset(self) -> None:
        """Start again from the initial delay."""
        self.failures = 0


def flat_backoff(value: Any, keys: Mapping[str, str], *, into: str = "backoff") -> Any:
    """A config mapping with older flat backoff keys (`reconnect_min_s: 1`) moved into its nested
    `backoff` (`backoff: {initial_s: 1}`); `keys` maps each old key to its BackoffConfig field.

    For a `mode="before"` validator of a section that used to spell its backoff flat, so files and
    stored documents written that way still load. Giving both spellings at once is refused.
    """
    if not isinstance(value, dict) or not any(old in value for old in keys):
        return value
    moved = {new: value[old] for old, new in keys.items() if old in value}
    nested = value.get(into)
    if nested is not None:
        old = ", ".join(k for k in keys if k in value)
        raise ValueError(f"{old}: an older spelling of {into}; give {into}: {{...}} alone")
    rest = {k: v for k, v in value.items() if k not in keys}
    return {**rest, into: moved}
