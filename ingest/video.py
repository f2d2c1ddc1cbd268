"""A video source: a file or a live stream read on its own thread, with reconnects and a visible state."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Protocol, Self

import cv2

from ingest.backoff import Backoff
from ingest.capture import open_capture, redact, seek
from ingest.config import VideoSourceConfig
from ingest.errors import EndOfStreamError, FrameTimeoutError, SourceError
from ingest.frame import Frame
from ingest.handoff import FrameQueue
from ingest.reader import FrameReader
from ingest.state import HealthTracker, SourceHealth, SourceState

logger = logging.getLogger(__name__)


class StreamLocator(Protocol):
    """Tells where a camera's stream is now, e.g. by asking a video platform to play it (wvp)."""

    def locate(self) -> str:
        """The stream URL to open; raises ``SourceError`` (naming why) when there is none now."""
        ...


class VideoSource:
    """Frames from a file or an RTSP stream, read ahead on a thread into a small bounded queue.

    A file is opened at once (a missing or unreadable file raises ``SourceError`` naming it), read to its
    end, and then the source is ``finished``; no frame of a file read with ``realtime`` off is dropped.
    A live stream is opened on the reader thread; when it cannot be opened or stops delivering within the
    read timeout, the source goes ``offline`` or ``stalled`` and reconnects with a jittered exponential
    backoff. A live stream or a realtime file hands over only its newest frame (``config.drops_stale``):
    when the consumer is slower, a frame it has not taken when the next arrives is dropped and counted,
    so what it gets is never more than one frame old. With a ``locator`` (``config.located``), every
    open first asks the locator for the stream URL; when it raises ``SourceError`` the source goes
    ``offline`` with that reason and asks again after the backoff.

    Example:
        >>> config = VideoSourceConfig(id="gate-1", url="rtsp://127.0.0.1:8554/cam", detect_fps=5)
        >>> with VideoSource(config) as source:
        ...     for frame in source.frames():
        ...         handle(frame)  # source.state, source.health() tell how the stream is doing
    """

    def __init__(self, config: VideoSourceConfig, locator: StreamLocator | None = None) -> None:
        if config.located != (locator is not None):
            what = "needs a locator" if config.located else "has a locator but is not marked located"
            raise SourceError(f"source {config.id} ({config.url}) {what}")
        self.config = config
        self._locator = locator
        self._tracker = HealthTracker(config.id)
        self._stop = threading.Event()
        self._queue = _handoff(config, self._tracker, self._stop)
        self._backoff = Backoff(config.backoff)
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()
        self._next_index = 0
        self._opened_before = False

    @property
    def state(self) -> SourceState:
        """The current state: connecting, streaming, stalled, offline, finished, closed or failed."""
        return self._tracker.state

    def health(self) -> SourceHealth:
        """A snapshot of the state, its recent transitions and the counters."""
        return self._tracker.snapshot()

    def open(self) -> Self:
        """Start reading; for a file, open it first and raise ``SourceError`` if that fails."""
        with self._lifecycle:
            if self._thread is None and not self._stop.is_set():
                capture = None if self.config.is_live else self._open_file()
                self._thread = threading.Thread(
                    target=self._run, args=(capture,), name=f"source-{self.config.id}", daemon=True
                )
                self._thread.start()
        return self

    def read(self, timeout: float | None = None) -> Frame:
        """Return the next frame, waiting at most ``timeout`` s (default: the read timeout).

        Raises ``FrameTimeoutError`` if none comes in time, ``EndOfStreamError`` once a file is done or
        the source closed, and ``SourceError`` if a file failed.
        """
        self.open()
        wait = self.config.read_timeout_s if timeout is None else timeout
        try:
            return self._queue.get(wait)
        except FrameTimeoutError:
            raise FrameTimeoutError(self._timeout_message(wait)) from None

    def frames(self) -> Iterator[Frame]:
        """Yield frames until a file ends or the source is closed; a live source waits through outages.

        Raises ``SourceError`` if a file cannot be opened or fails part-way.
        """
        self.open()
        while True:
            try:
                yield self._queue.get(FrameQueue.POLL_S * 5)
            except FrameTimeoutError:
                if self._stop.is_set():
                    return
            except EndOfStreamError:
                return

    def close(self) -> None:
        """Stop the reader thread and release the capture; waits at most about one open + read timeout."""
        self._tracker.enter(SourceState.CLOSED, "closed by the consumer")
        with self._lifecycle:
            self._stop.set()
        if self._thread is None:
            self._queue.finish(EndOfStreamError(f"source {self.config.id} closed"))
            return
        self._thread.join(self.config.open_timeout_s + self.config.read_timeout_s + 1.0)
        if self._thread.is_alive():
            logger.warning("source %s: reader thread still busy after close", self.config.id)

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _open_file(self) -> cv2.VideoCapture:
        try:
            capture = open_capture(self.config)
            if self.config.start_s:
                self._next_index = seek(capture, self.config)
            return capture
        except SourceError as exc:
            self._tracker.error(str(exc))
            self._tracker.enter(SourceState.FAILED, str(exc))
            raise

    def _run(self, capture: cv2.VideoCapture | None) -> None:
        end: SourceError = EndOfStreamError(f"source {self.config.id} closed")
        try:
            while not self._stop.is_set() and not self.state.is_final:
                if capture is None:
                    capture = self._connect()
                if capture is not None:
                    self._stream(capture)
                    capture = None
            if self.state is SourceState.FINISHED:
                end = EndOfStreamError(f"end of video file {self.config.url}")
        except SourceError as exc:
            end = self._fail(exc)
        except Exception as exc:
            logger.exception("source %s: reader thread crashed", self.config.id)
            end = self._fail(SourceError(f"reader of {redact(self.config.url)} crashed: {exc!r}"))
        finally:
            self._queue.finish(end)

    def _fail(self, exc: SourceError) -> SourceError:
        """Record a failure that ends the source; return the error to hand to the consumer."""
        logger.error("source %s failed: %s", self.config.id, exc)
        self._tracker.error(str(exc))
        self._tracker.enter(SourceState.FAILED, str(exc))
        return exc

    def _connect(self) -> cv2.VideoCapture | None:
        """Open the live stream once; on failure go offline, wait out the backoff and return None."""
        self._tracker.enter(SourceState.CONNECTING, f"opening {redact(self.config.url)}")
        try:
            capture = open_capture(self._open_config())
        except SourceError as exc:
            self._tracker.count(failed_opens=1)
            self._go_down(SourceState.OFFLINE, str(exc))
            return None
        if self._opened_before:
            self._tracker.count(reconnects=1)
        self._opened_before = True
        return capture

    def _open_config(self) -> VideoSourceConfig:
        """The config to open: as given, or with the URL the locator gives now."""
        if self._locator is None:
            return self.config
        return self.config.model_copy(update={"url": self._locator.locate(), "located": False})

    def _stream(self, capture: cv2.VideoCapture) -> None:
        """Read kept frames into the queue until the capture stops; then stall (live) or finish (file).

        A live stream that fails to decode stalls and reconnects; a file that fails to decode fails.
        """
        reader = FrameReader(capture, self.config, self._tracker, first_index=self._next_index)
        try:
            while not self._stop.is_set():
                frame = reader.read()
                self._tracker.enter(SourceState.STREAMING, f"frames from {redact(self.config.url)}")
                self._backoff.reset()
                self._queue.put(frame)
                del frame  # not held while the next one is read: one frame (~1 MB at 768x432) less per camera
        except SourceError as exc:
            if self.config.is_live:
                self._go_down(SourceState.STALLED, str(exc))
            elif isinstance(exc, EndOfStreamError):
                self._tracker.enter(SourceState.FINISHED, str(exc))
            else:
                raise
        finally:
            self._next_index = reader.next_index
            capture.release()

    def _go_down(self, state: SourceState, reason: str) -> None:
        """Record a lost or failed connection, then wait out the backoff (or until closed)."""
        delay = self._backoff.next_delay()
        logger.warning("source %s %s: %s; retrying in %.1f s", self.config.id, state.value, reason, delay)
        self._tracker.error(reason)
        self._tracker.enter(state, reason)
        self._stop.wait(delay)

    def _timeout_message(self, waited: float) -> str:
        health = self.health()
        detail = f"; last error: {health.last_error}" if health.last_error else ""
        return (
            f"no frame from source {self.config.id} ({redact(self.config.url)}) within {waited:g} s; "
            f"state {health.state.value} since {health.since.isoformat()}{detail}"
        )


def _handoff(config: VideoSourceConfig, tracker: HealthTracker, stop: threading.Event) -> FrameQueue:
    """Newest wins (one frame, a stale one dropped), or ``queue_size`` frames: a live stream drops its
    oldest, a file's reader waits for room."""
    if config.drops_stale:
        return FrameQueue(1, drop_oldest=True, tracker=tracker, stop=stop)
    return FrameQueue(config.queue_size, drop_oldest=config.is_live, tracker=tracker, stop=stop)
