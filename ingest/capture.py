"""Open files and streams with OpenCV's FFmpeg backend, every open and read bounded by a timeout."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import cv2

from ingest.config import VideoSourceConfig
from ingest.errors import SourceError
from ingest.ffmpeg_options import CaptureOptionsGate

logger = logging.getLogger(__name__)

_options = CaptureOptionsGate()


def redact(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def open_capture(config: VideoSourceConfig) -> cv2.VideoCapture:
    """Open the source of ``config`` or raise ``SourceError`` naming its path or URL."""
    if not config.is_live and not Path(config.url).is_file():
        raise SourceError(f"video file not found: {config.url}")
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        round(config.open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        round(config.read_timeout_s * 1000),
    ]
    with _options.applied(live=config.is_live):
        capture = cv2.VideoCapture(config.url, cv2.CAP_FFMPEG, params)
    if not capture.isOpened():
        capture.release()
        what = "stream" if config.is_live else "video file"
        detail = f" (open timeout {config.open_timeout_s:g} s)" if config.is_live else ""
        raise SourceError(f"cannot open {what} {redact(config.url)}{detail}")
    logger.debug("opened %s (%s fps reported)", redact(config.url), capture.get(cv2.CAP_PROP_FPS))
    return capture
