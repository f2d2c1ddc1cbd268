"""Open files and streams with OpenCV's FFmpeg backend, every open and read bounded by a timeout."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from urllib.parse import SplitResult, urlsplit, urlunsplit

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
    if config.decoder_threads:  # an open parameter: OPENCV_FFMPEG_CAPTURE_OPTIONS' threads is ignored
        params += [cv2.CAP_PROP_N_THREADS, config.decoder_threads]
    with _options.applied(live=config.is_live):
        capture = cv2.VideoCapture(config.url, cv2.CAP_FFMPEG, params)
    if not capture.isOpened():
        capture.release()
        if config.is_live:
            raise SourceError(f"cannot open stream {redact(config.url)}{why_not_open(config)}")
        raise SourceError(f"cannot open video file {redact(config.url)}")
    logger.debug("opened %s (%s fps reported)", redact(config.url), capture.get(cv2.CAP_PROP_FPS))
    return capture


def seek(capture: cv2.VideoCapture, config: VideoSourceConfig) -> int:
    """Move an open file to `config.start_s`; the index of the frame read next. Raises `SourceError`
    naming the file and its length when it is not longer than that (the capture is released)."""
    length_s = file_seconds(capture)
    if length_s <= config.start_s or not capture.set(cv2.CAP_PROP_POS_MSEC, config.start_s * 1000.0):
        capture.release()
        raise SourceError(
            f"video file {config.url} is {length_s:.1f} s long: cannot start at {config.start_s:g} s"
        )
    return round(capture.get(cv2.CAP_PROP_POS_FRAMES))


def file_seconds(capture: cv2.VideoCapture) -> float:
    """Length of an open video file in seconds, from its declared frame count and rate (0: unknown)."""
    fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    frames = capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0
    return float(frames / fps) if fps > 0 else 0.0


DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "rtmp": 1935, "http": 80, "https": 443}
PROBE_TIMEOUT_S = 2.0


def why_not_open(config: VideoSourceConfig) -> str:
    """Why a stream did not open, as far as one TCP connection to its server tells.

    OpenCV only says that the open failed; a refused connection, a name that does not resolve and a
    server that accepts connections but sends no stream need different fixes, so they get different
    messages. Called only after a failed open.
    """
    parts = urlsplit(config.url)
    host, port = parts.hostname, _port(parts.scheme, parts)
    if not host or port is None:
        return f" (open timeout {config.open_timeout_s:g} s)"
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=min(PROBE_TIMEOUT_S, config.open_timeout_s)):
            pass
    except ConnectionRefusedError:
        return f": connection refused by {where} (nothing listens there)"
    except socket.gaierror as exc:
        return f": cannot resolve host {host!r} ({exc.strerror})"
    except TimeoutError:
        return f" (open timeout {config.open_timeout_s:g} s): no answer from {where}"
    except OSError as exc:
        return f": cannot connect to {where} ({exc.strerror or exc})"
    return (
        f" (open timeout {config.open_timeout_s:g} s): {where} accepts connections but no stream "
        "opened (wrong path or credentials, or no video in time)"
    )


def _port(scheme: str, parts: SplitResult) -> int | None:
    try:
        return parts.port or DEFAULT_PORTS.get(scheme.lower())
    except ValueError:  # a port that is not a number or out of range
        return None
