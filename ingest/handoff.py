"""A small bounded queue between a source's reader thread and its consumer."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from ingest.errors import FrameTimeoutError, SourceError
from ingest.frame import Frame
from ingest.state import HealthTracker


@dataclass(frozen=True, slots=True)
class _End:
    """Marks the end of the frames; carries the error to raise to the consumer."""

    error: SourceError


class FrameQueue:
    """Hand frames over from one producer thread to one consumer, with a policy for a slow consumer.

    ``drop_oldest=True`` (live streams, realtime files): a full queue discards its oldest frame, counted
    as dropped, so the consumer always sees recent frames and the reader never falls behind the camera;
    with ``size=1`` the newest frame wins. ``drop_oldest=False`` (files read as fast as the consumer
    goes): the reader waits for room, so no frame of a file is lost.

    Example:
        >>> handoff = FrameQueue(4, drop_oldest=True, tracker=tracker, stop=threading.Event())
        >>> handoff.put(frame)
        >>> handoff.get(timeout=1.0)
    """

    POLL_S = 0.1

    def __init__(
        self, size: int, *, drop_oldest: bool, tracker: HealthTracker, stop: threading.Event
    ) -> None:
        self._queue: queue.Queue[Frame | _End] = queue.Queue(maxsize=size)
        self._drop_oldest = drop_oldest
        self._tracker = tracker
        self._stop = stop
        self._end: _End | None = None

    def put(self, frame: Frame) -> None:
        """Queue ``frame``, dropping the oldest frame or waiting for room as the policy says."""
        if self._drop_oldest:
            self._put_dropping(frame)
        else:
            self._put_waiting(frame)

    def finish(self, error: SourceError) -> None:
        """Queue the end marker after the frames already queued; ``error`` is raised to the consumer."""
        end = _End(error)
        if not self._put_waiting(end):
            self._put_dropping(end)

    def get(self, timeout: float) -> Frame:
        """Return the next frame; raise ``FrameTimeoutError`` after ``timeout`` s, or the end error."""
        if self._end is not None:
            raise self._end.error.with_traceback(None)
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise FrameTimeoutError(f"no frame within {timeout:g} s") from None
        if isinstance(item, _End):
            self._end = item
            raise item.error
        return item

    def _put_waiting(self, item: Frame | _End) -> bool:
        """Wait for room; return False without queueing if the source is being closed."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=self.POLL_S)
            except queue.Full:
                continue
            return True
        return False

    def _put_dropping(self, item: Frame | _End) -> None:
        while True:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                self._discard_oldest()
            else:
                return

    def _discard_oldest(self) -> None:
        try:
            self._queue.get_nowait()
        except queue.Empty:
            return
        self._tracker.count(frames_dropped=1)
