"""Read the frames to keep from one open capture, decoding only those."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import cast

import cv2

from ingest.capture import redact
from ingest.clock import StreamClock
from ingest.config import VideoSourceConfig
from ingest.decimate import Decimator
from ingest.errors import EndOfStreamError, SourceError
from ingest.frame import Frame, Image
from ingest.state import HealthTracker

logger = logging.getLogger(__name__)

SHORT_BY_FRAMES = 2
SHORT_BY_FRACTION = 0.02
"""A file that ends more than this many frames (or this share of them) before the frame count its
container declares is truncated or corrupt (counts estimated from duration × fps may be a bit off)."""


class FrameReader:
    """Turn one open ``cv2.VideoCapture`` into kept frames: grab every frame, decode only kept ones.

    ``grab()`` demuxes and decodes the compressed frame (a decoder needs every reference frame); only
    ``retrieve()`` converts it to a BGR image. Skipped frames never pay for that conversion and copy.

    Example:
        >>> reader = FrameReader(capture, config, tracker, first_index=0)
        >>> frame = reader.read()  # raises EndOfStreamError at the end of a file or when a stream stops
    """

    def __init__(
        self, capture: cv2.VideoCapture, config: VideoSourceConfig, tracker: HealthTracker, first_index: int
    ) -> None:
        self._capture = capture
        self._config = config
        self._tracker = tracker
        self._decimator = Decimator(config.detect_fps)
        self._clock = StreamClock(capture.get(cv2.CAP_PROP_FPS) or 25.0)
        self._grabbed_at = datetime.now(UTC)
        self._declared = 0 if config.is_live else max(0, round(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        self.next_index = first_index
        self._anchor: float | None = None

    def read(self) -> Frame:
        """Return the next frame to keep, or raise ``EndOfStreamError`` when no frame comes.

        A file that ends well before the frame count its container declares raises ``SourceError``
        (truncated or corrupt) instead: that is a failure, not the end of the video.
        """
        while True:
            pts = self._grab()
            if self._decimator.keep(pts):
                return self._retrieve(pts)
            self._tracker.count(frames_skipped=1)

    def _grab(self) -> float:
        """Grab the next frame and return its stream time; raise ``EndOfStreamError`` if none came.

        When a live read times out, OpenCV drains the decoder and may still return a frame held back for
        B-frame reordering; a grab that took the whole read timeout therefore counts as a stall too.
        """
        started = time.monotonic()
        grabbed = self._capture.grab()
        timed_out = self._config.is_live and time.monotonic() - started >= self._config.read_timeout_s
        if not grabbed or timed_out:
            self._check_complete()
            raise EndOfStreamError(self._stop_reason())
        self._grabbed_at = datetime.now(UTC)
        self._tracker.frame_read(self._grabbed_at)
        self.next_index += 1
        return self._clock.time(self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)

    def _check_complete(self) -> None:
        """Raise ``SourceError`` when a file stopped well short of its declared frame count."""
        missing = self._declared - self.next_index
        if self._declared and missing > max(SHORT_BY_FRAMES, SHORT_BY_FRACTION * self._declared):
            raise SourceError(
                f"video file {self._config.url} ends after frame {self.next_index} of the "
                f"{self._declared} it declares: truncated or corrupt"
            )

    def _retrieve(self, pts: float) -> Frame:
        captured_at = self._grabbed_at
        if self._config.realtime and not self._config.is_live:  # paced before the image exists, not after
            self._pace(pts)
            captured_at = datetime.now(UTC)
        ok, image = self._capture.retrieve()
        if not ok or image is None:
            raise SourceError(f"cannot decode frame {self.next_index - 1} of {redact(self._config.url)}")
        return Frame(
            source_id=self._config.id,
            index=self.next_index - 1,
            pts=pts,
            captured_at=captured_at,
            image=cast(Image, image),
        )

    def _pace(self, pts: float) -> None:
        """Sleep until ``pts`` seconds after the first paced frame, as a camera would deliver it."""
        if self._anchor is None:
            self._anchor = time.monotonic() - pts
        delay = self._anchor + pts - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def _stop_reason(self) -> str:
        if self._config.is_live:
            url, timeout = redact(self._config.url), self._config.read_timeout_s
            return f"no frame from {url} within {timeout:g} s, or the connection was lost"
        return f"end of video file {self._config.url}"
