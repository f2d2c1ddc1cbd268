"""Turn the outside world into typed values: video sources (files, RTSP) with timeouts and reconnects."""

from ingest.config import BackoffConfig, VideoSourceConfig
from ingest.errors import EndOfStreamError, FrameTimeoutError, IngestError, SourceError
from ingest.frame import Frame
from ingest.state import SourceHealth, SourceState, Transition
from ingest.video import VideoSource

__all__ = [
    "BackoffConfig",
    "EndOfStreamError",
    "Frame",
    "FrameTimeoutError",
    "IngestError",
    "SourceError",
    "SourceHealth",
    "SourceState",
    "Transition",
    "VideoSource",
    "VideoSourceConfig",
]
