"""Pick which frames to keep so that a stream is sampled at a target rate of its own clock."""

from __future__ import annotations


class Decimator:
    """Decide from a frame's timestamp alone whether to keep it, before paying to decode it.

    Frames are kept on a grid of ``1 / target_fps`` seconds of stream time: the first frame is kept,
    then the first frame at or after each following grid point. A tolerance of a millisecond absorbs
    rounding in container timestamps (0.1 + 0.1 need not equal 0.2). A gap in the stream moves the grid
    to the next kept frame instead of bursting to catch up; a clock that jumps back starts a new grid.

    Example:
        >>> keep = Decimator(target_fps=5)
        >>> [keep.keep(i / 10) for i in range(5)]  # a 10 fps clip
        [True, False, True, False, True]
    """

    TOLERANCE_S = 1e-3

    def __init__(self, target_fps: float | None) -> None:
        self._period = 1.0 / target_fps if target_fps else 0.0
        self._due: float | None = None
        self._last = float("-inf")

    def keep(self, pts: float) -> bool:
        """Return True if the frame at ``pts`` seconds should be decoded and delivered."""
        if pts < self._last:
            self.reset()
        self._last = pts
        if self._due is not None and pts < self._due - self.TOLERANCE_S:
            return False
        self._advance(pts)
        return True

    def reset(self) -> None:
        """Forget the grid, e.g. after a reconnect restarted the stream's clock."""
        self._due = None
        self._last = float("-inf")

    def _advance(self, pts: float) -> None:
        if self._due is None or pts - self._due >= self._period:
            self._due = pts + self._period
        else:
            self._due += self._period
