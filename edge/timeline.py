"""When a camera's frame was observed, and what makes its alert ids unique.

A live stream is observed as it arrives: the frame's wall-clock capture time, and alert ids unique
to this run (a random session), since the same stream never plays twice.

A file is a recording, so its frames have times of their own: the file's *base* plus each frame's
position (pts). The base is fixed the first time an outbox reads the file (size and mtime tell one
file from another) and kept in that outbox's `sources` table: the moment it was first read minus the
file's duration, so the whole recording lies just in the past (with `realtime: true` the moment
itself, as the frames are then paced like a camera). Alert ids include the base. Therefore:

- the same outbox reading the file again (a restart, a replay) makes the very same alerts (same ids,
  same observed times), which the outbox and the centre recognise as repeats;
- a fresh outbox gets a new base, so new ids with new times: new alerts, never an old id with a
  different time, which the centre would refuse (409) for ever.

Example:
    >>> timeline = source_timeline(camera, outbox)
    >>> timeline.observed_at(frame)  # base + pts for a file, frame.captured_at for a stream
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2

from edge.config import CameraConfig
from edge.outbox import Outbox
from ingest import Frame

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceTimeline:
    """A source's session key (part of every alert id) and, for a file, its time base."""

    session: str
    base: datetime | None
    """None for a live stream: frames are observed when they arrive."""

    def observed_at(self, frame: Frame) -> datetime:
        """When the frame was observed (UTC)."""
        if self.base is None:
            return frame.captured_at
        return self.base + timedelta(seconds=frame.pts)


def source_timeline(camera: CameraConfig, outbox: Outbox) -> SourceTimeline:
    """A random session for a stream; for a file, its identity and the base this outbox keeps for it."""
    if camera.url is None or camera.is_live:
        return SourceTimeline(f"live:{uuid.uuid4().hex}", None)
    path = Path(camera.url)
    stat = path.stat() if path.is_file() else None
    identity = f"file:{camera.url}:{stat.st_size if stat else 0}:{stat.st_mtime_ns if stat else 0}"
    first_read = time.time() - (0.0 if camera.source.realtime else file_duration(path))
    base = datetime.fromtimestamp(outbox.source_base(identity, first_read), UTC)
    logger.debug("camera %s: file time base %s", camera.id, base.isoformat())
    return SourceTimeline(f"{identity}@{base.isoformat()}", base)


def file_duration(path: Path) -> float:
    """The video file's duration in seconds from its container; 0 when unknown or unreadable."""
    if not path.is_file():
        return 0.0
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        frames, fps = capture.get(cv2.CAP_PROP_FRAME_COUNT), capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    return float(frames / fps) if frames > 0 and fps > 0 else 0.0
