"""Open files and streams with OpenCV's FFmpeg backend, every open and read bounded by a timeout."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import cv2

from ingest.config import VideoSourceConfig
from ingest.errors import SourceError

logger = logging.getLogger(__name__)

CAPTURE_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
TCP_OPTION = "rtsp_transport;tcp"
_env_lock = threading.Lock()


def redact(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def ensure_rtsp_over_tcp() -> None:
    """Make OpenCV's FFmpeg backend use RTSP over TCP, keeping any options the user already set.

    OpenCV reads this environment variable each time it opens a capture, so it must be set before.
    """
    with _env_lock:
        current = os.environ.get(CAPTURE_OPTIONS_ENV, "")
        if "rtsp_transport" not in current:
            os.environ[CAPTURE_OPTIONS_ENV] = f"{current}|{TCP_OPTION}" if current else TCP_OPTION


def open_capture(config: VideoSourceConfig) -> cv2.VideoCapture:
    """Open the source of ``config`` or raise ``SourceError`` naming its path or URL."""
    if not config.is_live and not Path(config.url).is_file():
        raise SourceError(f"video file not found: {config.url}")
    ensure_rtsp_over_tcp()
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        round(config.open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        round(config.read_timeout_s * 1000),
    ]
    capture = cv2.VideoCapture(config.url, cv2.CAP_FFMPEG, params)
    if not capture.isOpened():
        capture.release()
        what = "stream" if config.is_live else "video file"
        detail = f" (open timeout {config.open_timeout_s:g} s)" if config.is_live else ""
        raise SourceError(f"cannot open {what} {redact(config.url)}{detail}")
    logger.debug("opened %s (%s fps reported)", redact(config.url), capture.get(cv2.CAP_PROP_FPS))
    return capture
