"""Configuration of a video source, validated once where it is read."""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from gridwatch.strict import Strict
from ingest.backoff import BackoffConfig

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https"})


class SourceSettings(Strict):
    """How to read a video source, whichever it is: frame rate kept, timeouts, buffering, reconnects.

    The edge config nests these in each camera (`edge.config.CameraConfig.source`).

    Example:
        >>> SourceSettings(detect_fps=5, backoff=BackoffConfig(max_s=10)).queue_size
        4
    """

    detect_fps: float | None = Field(
        None, gt=0, description="Keep at most this many frames per second of stream time; None keeps all."
    )
    open_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Longest wait to open the source; keep it above the stream's keyframe interval.",
    )
    read_timeout_s: float = Field(
        5.0, gt=0, description="Longest wait for the next frame before the source counts as stalled."
    )
    queue_size: int = Field(
        4,
        ge=1,
        description="Frames buffered between the reader and a consumer when stale frames are kept "
        "(drop_stale off): a file's reader waits for room, a live stream drops its oldest frame.",
    )
    realtime: bool = Field(
        False, description="Files only: deliver frames at the clip's own rate, like a camera would."
    )
    start_s: float = Field(
        0.0,
        ge=0,
        description="Files only: begin this many seconds into the file (a long recording replayed from "
        "a point, or replayed cameras not all in step); the file must be longer than that.",
    )
    drop_stale: bool | None = Field(
        None,
        description="Newest frame wins: the consumer gets the latest kept frame, and one it has not "
        "taken when the next arrives is dropped and counted (frames_dropped), so a slow consumer sees "
        "recent frames and never a growing queue. None: on for live streams and realtime files, off "
        "for files read as fast as the consumer goes (no frame lost).",
    )
    decoder_threads: int = Field(
        1,
        ge=0,
        le=32,
        description="FFmpeg decoder threads of the capture (1: decode on the reader thread; 0: FFmpeg's "
        "default, about one per core, for high-resolution streams on a box with few cameras).",
    )
    backoff: BackoffConfig = Field(
        default_factory=BackoffConfig, description="Delays between reconnect attempts of a live source."
    )


class VideoSourceConfig(SourceSettings):
    """A camera or clip: where to read it, and how (`SourceSettings`).

    Example:
        >>> VideoSourceConfig(id="gate-1", url="rtsp://10.0.0.7:554/stream1", detect_fps=5)
    """

    id: str = Field(min_length=1, description="Source id, copied into every frame (e.g. the camera id).")
    url: str = Field(min_length=1, description="A video file path, or a stream URL such as rtsp://host/path.")
    located: bool = Field(
        False,
        description="The url only names the camera (e.g. wvp://host/device/channel); a StreamLocator "
        "gives the stream URL before every open.",
    )

    @model_validator(mode="after")
    def _start_in_files_only(self) -> Self:
        if self.start_s and self.is_live:
            raise ValueError(f"source {self.id}: start_s applies to video files, not to a live stream")
        return self

    @classmethod
    def of(cls, settings: SourceSettings, *, id: str, url: str, located: bool = False) -> VideoSourceConfig:
        """The source `id` at `url`, read as `settings` say."""
        return cls(id=id, url=url, located=located, **dict(settings))

    @property
    def is_live(self) -> bool:
        """True for a network stream (reconnects), False for a file (read once to its end)."""
        return self.located or is_stream_url(self.url)

    @property
    def drops_stale(self) -> bool:
        """True when only the newest frame is handed over (see ``drop_stale``)."""
        if self.drop_stale is not None:
            return self.drop_stale
        return self.is_live or self.realtime


def is_stream_url(url: str) -> bool:
    """True for a network stream URL (rtsp://, http://, ...), False for a file path."""
    return urlsplit(url).scheme.lower() in STREAM_SCHEMES
