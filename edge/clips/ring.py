"""The pre-roll: a bounded, time-ordered buffer of what a camera showed in the last few seconds."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Timed(Generic[T]):
    """One buffered item: a compressed packet or an encoded frame, at `t` on the camera's clip clock."""

    t: float
    """Seconds on the clip clock (a file's stream time; wall-clock epoch seconds for a live camera)."""
    key: bool
    """A decoder can start here (a keyframe; every JPEG frame is one)."""
    nbytes: int
    item: T


class PreRoll(Generic[T]):
    """Keeps at least `pre_s` seconds, from a keyframe on, and at most `max_bytes`; thread-safe.

    Example:
        >>> ring = PreRoll[bytes](pre_s=5, max_bytes=8 << 20)
        >>> ring.add(Timed(t=0.0, key=True, nbytes=3, item=b"abc"))
        >>> [x.t for x in ring.since(0.0)]
        [0.0]
    """

    def __init__(self, *, pre_s: float, max_bytes: int) -> None:
        self.pre_s = pre_s
        self.max_bytes = max_bytes
        self._items: deque[Timed[T]] = deque()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Payload bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: Timed[T]) -> None:
        """Append the newest item and drop what is no longer needed for `pre_s` seconds before it."""
        with self._lock:
            if self._items and item.t < self._items[-1].t:  # the clock went back: a new stream
                self._items.clear()
                self._bytes = 0
            if not self._items and not item.key:
                return  # nothing can be decoded before the first keyframe
            self._items.append(item)
            self._bytes += item.nbytes
            self._trim(item.t - self.pre_s)

    def since(self, start: float, *, before: float | None = None) -> list[Timed[T]]:
        """Items from a keyframe to the newest: the last keyframe at or before `start` (or the oldest one
        held); with `before`, the keyframe nearest to `start` that is earlier than `before`, so a clip
        misses its `pre_s` by at most half a group of pictures instead of up to a whole one."""
        with self._lock:
            items = list(self._items)
        first = _last_key_at_or_before(items, start)
        if before is not None:
            first = _nearest_key_before(items, start, before, first)
        return items[first:]

    def clear(self) -> None:
        """Forget everything (the stream restarted)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def _trim(self, keep_from: float) -> None:
        """Drop whole groups of pictures that end before `keep_from`, then the oldest over the bound."""
        while self._drop_group_if(lambda nxt: nxt is not None and nxt.t <= keep_from):
            pass
        while self._bytes > self.max_bytes and self._drop_group_if(lambda nxt: nxt is not None):
            pass

    def _drop_group_if(self, ok: Callable[[Timed[T] | None], bool]) -> bool:
        """Drop the oldest group (up to the next keyframe) when `ok(next keyframe)`; True when dropped."""
        nxt = next((x for i, x in enumerate(self._items) if i > 0 and x.key), None)
        if not ok(nxt):
            return False
        while self._items and self._items[0] is not nxt:
            self._bytes -= self._items.popleft().nbytes
        return True


def _nearest_key_before(items: Sequence[Timed[T]], start: float, before: float, fallback: int) -> int:
    keys = [i for i, item in enumerate(items) if item.key and item.t < before]
    return min(keys, key=lambda i: abs(items[i].t - start), default=fallback)


def _last_key_at_or_before(items: Sequence[Timed[T]], start: float) -> int:
    best = 0
    for index, item in enumerate(items):
        if item.t > start:
            break
        if item.key:
            best = index
    return best
