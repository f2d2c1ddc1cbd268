"""Bounded per-track memory and cooldown clocks shared by the rules."""

from __future__ import annotations

from typing import Generic, TypeVar

S = TypeVar("S")
K = TypeVar("K")


class TrackStates(Generic[S]):
    """Per-track state that is forgotten once a track has not been seen for `lost_after_s`.

    Example:
        >>> states: TrackStates[int] = TrackStates(lost_after_s=2.0)
        >>> states.put(7, 1, t=0.0)
        >>> states.sweep(t=2.5)
        >>> len(states)
        0
    """

    def __init__(self, lost_after_s: float) -> None:
        self._lost_after_s = lost_after_s
        self._states: dict[int, S] = {}
        self._last_seen: dict[int, float] = {}

    def __len__(self) -> int:
        return len(self._states)

    def get(self, track_id: int) -> S | None:
        """The state of a track, or None when it has none."""
        return self._states.get(track_id)

    def put(self, track_id: int, state: S, t: float) -> None:
        """Store the state of a track seen at time `t`."""
        self._states[track_id] = state
        self._last_seen[track_id] = t

    def drop(self, track_id: int) -> None:
        """Forget a track (its episode ended)."""
        self._states.pop(track_id, None)
        self._last_seen.pop(track_id, None)

    def sweep(self, t: float) -> None:
        """Forget every track not seen for more than `lost_after_s` before `t`."""
        lost = [k for k, seen in self._last_seen.items() if t - seen > self._lost_after_s]
        for track_id in lost:
            self.drop(track_id)

    def clear(self) -> None:
        """Forget everything."""
        self._states.clear()
        self._last_seen.clear()


class Cooldown(Generic[K]):
    """After a hit for a key, no new hit for that key until `cooldown_s` has passed.

    Keys whose cooldown has passed are pruned, so memory stays bounded.

    Example:
        >>> cooldown: Cooldown[int] = Cooldown(cooldown_s=10.0)
        >>> cooldown.mark(7, t=0.0)
        >>> cooldown.ready(7, t=5.0), cooldown.ready(7, t=10.0)
        (False, True)
    """

    def __init__(self, cooldown_s: float) -> None:
        self._cooldown_s = cooldown_s
        self._last_hit: dict[K, float] = {}

    def __len__(self) -> int:
        return len(self._last_hit)

    def ready(self, key: K, t: float) -> bool:
        """Whether a hit for `key` at time `t` is allowed."""
        last = self._last_hit.get(key)
        return last is None or t - last >= self._cooldown_s

    def mark(self, key: K, t: float) -> None:
        """Record a hit for `key` at time `t`."""
        self._last_hit[key] = t

    def prune(self, t: float) -> None:
        """Forget keys whose cooldown has passed at `t`."""
        done = [key for key, last in self._last_hit.items() if t - last >= self._cooldown_s]
        for key in done:
            del self._last_hit[key]

    def clear(self) -> None:
        """Forget every cooldown."""
        self._last_hit.clear()
