"""Treat a new track id that appears where a recently reported track vanished as the same object."""

from __future__ import annotations

import math
from dataclasses import dataclass

from edge.rules.geometry import Point


@dataclass
class _Reported:
    hit_t: float
    point: Point
    seen_t: float


class IdSwitchGuard:
    """Remembers reported tracks for `cooldown_s` and says when a new id is likely one of them.

    A tracker that loses an object and finds it again under a new id would otherwise raise a new
    alert for it. A new track counts as a switch when a reported track, not seen in the current
    frame, was last seen at most `lost_after_s` ago within `radius_px` of the new track's anchor.

    Example:
        >>> guard = IdSwitchGuard(radius_px=40, lost_after_s=2, cooldown_s=30)
        >>> guard.reported(1, (100.0, 100.0), t=0.0)
        >>> guard.switched_from(2, (110.0, 105.0), t=1.0, visible={2})
        1
    """

    def __init__(self, radius_px: float, lost_after_s: float, cooldown_s: float) -> None:
        self._radius_px = radius_px
        self._lost_after_s = lost_after_s
        self._cooldown_s = cooldown_s
        self._reported: dict[int, _Reported] = {}

    def __len__(self) -> int:
        return len(self._reported)

    def reported(self, track_id: int, point: Point, t: float, hit_t: float | None = None) -> None:
        """A hit was raised for `track_id` at `point` (or inherited from an earlier id's `hit_t`)."""
        self._reported[track_id] = _Reported(hit_t=t if hit_t is None else hit_t, point=point, seen_t=t)

    def seen(self, track_id: int, point: Point, t: float) -> None:
        """Where a track is now; only reported tracks are followed."""
        entry = self._reported.get(track_id)
        if entry is not None:
            entry.point, entry.seen_t = point, t

    def switched_from(self, track_id: int, point: Point, t: float, visible: set[int]) -> int | None:
        """The reported track that `track_id` probably continues, or None."""
        for old_id, entry in self._reported.items():
            vanished = old_id not in visible and t - entry.seen_t <= self._lost_after_s
            if old_id != track_id and vanished and math.dist(point, entry.point) <= self._radius_px:
                return old_id
        return None

    def hit_time(self, track_id: int) -> float:
        """When the hit of a reported track was raised."""
        return self._reported[track_id].hit_t

    def prune(self, t: float) -> None:
        """Forget tracks whose cooldown has passed."""
        done = [k for k, entry in self._reported.items() if t - entry.hit_t >= self._cooldown_s]
        for track_id in done:
            del self._reported[track_id]

    def clear(self) -> None:
        """Forget everything."""
        self._reported.clear()
