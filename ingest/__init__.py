"""Turn the outside world into typed values: video sources (files, RTSP) with timeouts and reconnects.

Use:

    config = VideoSourceConfig(id="gate-1", url="rtsp://10.0.0.7:554/stream1", detect_fps=5)
    with VideoSource(config) as source:
        for frame in source.frames():          # or source.read(timeout=2.0) for one frame
            ...                                # frame.index, frame.pts, frame.captured_at, frame.image
        source.state, source.health()          # connecting/streaming/stalled/offline/..., counters

Choices:

- OpenCV's FFmpeg backend. Every open and read is bounded (``CAP_PROP_OPEN_TIMEOUT_MSEC`` and
  ``CAP_PROP_READ_TIMEOUT_MSEC``); RTSP goes over TCP; live streams open with ``fflags;nobuffer`` so
  frames are not seconds behind the camera (see ``ingest.ffmpeg_options``).
- One reader thread per source and a small bounded queue. Live: when the consumer is slow the oldest
  frame is dropped and counted. Files: the reader waits, no frame is lost; the source ends ``finished``.
- Decimation on the stream's own clock (``detect_fps``): every frame is grabbed (decoding needs them all),
  only kept frames are converted to BGR (``retrieve``).
- Live failures never end the source: a read timeout or a dropped connection makes it ``stalled``, a
  failed open ``offline``; it reconnects after a jittered exponential backoff, and counts reconnects.
- A camera on a video platform (``ingest.wvp``) has a ``StreamLocator``: every (re)open first asks the
  platform to play the channel and opens the URL it gives; a platform error is an ``offline`` reason.
"""

from ingest.backoff import Backoff, BackoffConfig
from ingest.config import SourceSettings, VideoSourceConfig
from ingest.errors import EndOfStreamError, FrameTimeoutError, IngestError, SourceError
from ingest.frame import Frame
from ingest.state import SourceHealth, SourceState, Transition
from ingest.video import StreamLocator, VideoSource

__all__ = [
    "Backoff",
    "BackoffConfig",
    "EndOfStreamError",
    "Frame",
    "FrameTimeoutError",
    "IngestError",
    "SourceError",
    "SourceHealth",
    "SourceSettings",
    "SourceState",
    "StreamLocator",
    "Transition",
    "VideoSource",
    "VideoSourceConfig",
]
