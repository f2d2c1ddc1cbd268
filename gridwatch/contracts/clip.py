"""The evidence clip an edge box sends after an alert (`POST` then `PUT /v1/alerts/{alert_id}/clip`).

Defined once here; the edge fills it in from the finished file, the centre checks the upload
against it (size, sha256) and keeps it with the clip.

Example:
    >>> ClipInfo(alert_id="cam-1-ab12", sha256="0" * 64, size=345087, duration_s=15.4,
    ...          started_at=datetime(2026, 11, 21, 3, 0, tzinfo=UTC), alert_offset_s=5.3,
    ...          frames=153, width=768, height=432).content_type
    'video/mp4'
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gridwatch.contracts.alert import Identifier, Sha256Hex
from gridwatch.strict import Strict

MAX_CLIP_BYTES = 512 * 1024 * 1024
"""Largest clip the contract allows; a centre sets its own (smaller) limit."""


class ClipInfo(Strict):
    """What a clip file is: its hash and size, how long it runs, and where the alert falls in it."""

    alert_id: Identifier = Field(description="The alert this clip belongs to (sent before the clip)")
    sha256: Sha256Hex = Field(description="sha256 of the whole file")
    size: int = Field(gt=0, le=MAX_CLIP_BYTES, description="File size in bytes")
    content_type: Literal["video/mp4"] = Field(default="video/mp4", description="H.264 in MP4")
    duration_s: float = Field(ge=0, le=3600, description="Playing time of the clip, seconds")
    started_at: datetime = Field(description="Wall-clock time (UTC) of the clip's first frame")
    alert_offset_s: float = Field(ge=0, le=3600, description="Seconds from the first frame to the alert")
    frames: int = Field(ge=1, description="Frames in the clip")
    width: int = Field(ge=1, le=16384, description="Picture width, pixels")
    height: int = Field(ge=1, le=16384, description="Picture height, pixels")
    source: Literal["packets", "frames"] = Field(
        default="packets", description="packets: the camera's stream remuxed; frames: re-encoded frames"
    )
    truncated: bool = Field(
        default=False, description="Shorter than planned: the box stopped or the stream broke mid-clip"
    )

    @field_validator("started_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("started_at must carry a timezone (e.g. 2026-11-21T03:00:00Z)")
        return value.astimezone(UTC)


class ClipUploadState(BaseModel):
    """The centre's answer to every clip request: how much of the file it holds."""

    model_config = ConfigDict(extra="forbid")

    alert_id: str = Field(description="The alert of the clip")
    received: int = Field(ge=0, description="Bytes held so far; the next chunk starts here")
    size: int = Field(ge=0, description="The declared file size")
    complete: bool = Field(description="The whole file arrived and its sha256 matched")
    max_chunk_bytes: int = Field(ge=1, description="Largest chunk this centre accepts in one PUT")
