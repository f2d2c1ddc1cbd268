"""Give freed heap back to the system: glibc's `malloc_trim`, when the C library is glibc.

Frames, model inputs and resized images are allocated and freed on many threads; glibc keeps freed
frame-sized blocks in per-thread arenas, so the resident size of a busy edge box creeps up by several
MB per camera. `malloc_trim(0)` returns the free tops and whole free pages of every arena.
`bench/pipeline.py` measures what it saves.

Example:
    >>> trimmer = MemoryTrimmer(interval_s=10.0)
    >>> trimmer.maybe_trim()  # call from a loop; trims at most once per interval
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


def _glibc_trim() -> Callable[[], bool] | None:
    """`malloc_trim(0)` of glibc, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: bool(trim(0))


class MemoryTrimmer:
    """Calls `malloc_trim` at most once per `interval_s` (0: never); a no-op without glibc."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._trim = _glibc_trim() if interval_s > 0 else None
        self._last = time.monotonic()
        self.trims = 0

    @property
    def available(self) -> bool:
        """True when trimming is on and the C library can do it."""
        return self._trim is not None

    def maybe_trim(self) -> bool:
        """Trim when the interval has passed; True when it trimmed."""
        if self._trim is None or time.monotonic() - self._last < self.interval_s:
            return False
        self._last = time.monotonic()
        self._trim()
        self.trims += 1
        return True
