"""Make a stream's timestamps strictly increasing, keeping its steps and gaps."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class StreamClock:
    """Turn the timestamps a decoder reports into a clock that only moves forward.

    Live streams do not always report clean times: OpenCV gives the first RTSP frame 0 and the next ones
    times before it, a server may restart its clock, a container may have none at all (every time 0).
    Whenever a time does not move forward, the clock continues one nominal frame interval after the last
    time and keeps that offset for the following frames, so steps and real gaps are preserved.

    Example:
        >>> clock = StreamClock(fps=10)
        >>> [clock.time(t) for t in (0.0, -0.3, -0.2, -0.1)]
        [0.0, 0.1, 0.2, 0.3]
    """

    def __init__(self, fps: float) -> None:
        self._interval = 1.0 / fps
        self._offset = 0.0
        self._last: float | None = None

    def time(self, reported: float) -> float:
        """Return the stream time of a frame whose decoder reported ``reported`` seconds."""
        current = reported + self._offset
        if self._last is not None and current <= self._last:
            target = self._last + self._interval
            logger.debug("stream time %.3f s does not move forward; continuing at %.3f s", current, target)
            self._offset += target - current
            current = target
        self._last = current
        return current
