"""Settings of evidence clips on an edge box: how much before and after an alert, and how to keep it."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from gridwatch.strict import Strict


class BufferKind(StrEnum):
    """How the pre-roll is kept in memory."""

    AUTO = "auto"
    """Packets when the source is H.264 (a browser plays it remuxed into MP4), frames otherwise."""
    PACKETS = "packets"
    """The camera's compressed stream, read on its own connection and remuxed without re-encoding."""
    FRAMES = "frames"
    """The frames the pipeline looks at (detect rate), kept as JPEG and encoded to H.264 for a clip."""


class ClipsConfig(Strict):
    """Evidence clips: a few seconds before and after every camera alert, kept, hashed and sent.

    Example:
        >>> ClipsConfig(pre_s=5, post_s=10).max_s
        60.0
    """

    enabled: bool = Field(default=True, description="Record a clip for every camera alert")
    pre_s: float = Field(default=5.0, ge=0, le=60, description="Seconds of video kept before the alert")
    post_s: float = Field(default=10.0, gt=0, le=600, description="Seconds recorded after the alert")
    max_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Longest clip: while the alert's objects stay in view the clip is extended up to this",
    )
    buffer: BufferKind = Field(default=BufferKind.AUTO, description="auto, packets or frames (see docs)")
    max_buffer_mb: float = Field(
        default=32.0, gt=0, description="Upper bound of one camera's pre-roll memory; oldest data goes first"
    )
    jpeg_quality: int = Field(default=80, ge=30, le=95, description="frames buffer: JPEG quality")
    chunk_kb: int = Field(
        default=1024, ge=16, le=8192, description="Upload chunk size; an interrupted upload resumes per chunk"
    )
    max_pending_mb: float = Field(
        default=2048.0,
        gt=0,
        description="Disk for clips not yet at the centre; beyond it the oldest unsent ones are dropped",
    )
    keep_sent_s: float = Field(
        default=86400.0, ge=0, description="Clip files are deleted this long after the centre accepted them"
    )

    @model_validator(mode="after")
    def _max_covers_post(self) -> Self:
        if self.max_s < self.post_s:
            raise ValueError(f"max_s ({self.max_s}) must not be below post_s ({self.post_s})")
        return self

    @property
    def max_buffer_bytes(self) -> int:
        """`max_buffer_mb` in bytes."""
        return int(self.max_buffer_mb * 1024 * 1024)
