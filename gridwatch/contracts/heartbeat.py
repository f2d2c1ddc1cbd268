"""The status an edge box posts every `heartbeat_s` seconds (`POST /v1/devices/me/heartbeat`).

Defined once here; the edge builds it from what it already tracks (sources, outbox, publisher,
sensor engine), the centre parses it, keeps the latest per box and a short history. Every list and
string is bounded, so a heartbeat body never exceeds `MAX_HEARTBEAT_JSON_BYTES`.

Example:
    >>> from datetime import UTC, datetime
    >>> Heartbeat(device_id="edge-01", sent_at=datetime(2026, 11, 28, tzinfo=UTC), version="0.1",
    ...           uptime_s=12.5, outbox_depth=0, parked=0).cameras
    []
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gridwatch.contracts.alert import Identifier, Label, to_utc

MAX_CAMERAS = 256
MAX_SENSORS = 1024
MAX_HEARTBEAT_JSON_BYTES = 256 * 1024
"""Largest heartbeat body the centre reads (1,280 sources at their longest fit in it)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CameraStatus(_Strict):
    """One camera as the box sees it."""

    id: Identifier
    state: Label = Field(description="The video source's state: streaming, reconnecting, failed, ...")
    fps: float = Field(ge=0, le=1000, description="Frames read per second since the last heartbeat")
    frames: int = Field(ge=0, description="Frames processed since the worker started")


class SensorStatus(_Strict):
    """One sensor as the box sees it."""

    id: Identifier
    last_message_at: datetime | None = Field(description="When its latest message arrived (null: none yet)")

    @field_validator("last_message_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_utc(value)


class Heartbeat(_Strict):
    """An edge box's status at `sent_at`."""

    device_id: Identifier = Field(description="The box (must be the token's)")
    sent_at: datetime = Field(description="When the box built it (UTC)")
    version: Label = Field(description="GridWatch version of the box")
    uptime_s: float = Field(ge=0, description="Seconds since the worker started")
    outbox_depth: int = Field(ge=0, description="Alerts waiting to be sent")
    parked: int = Field(ge=0, description="Alerts the centre refused, waiting for an operator")
    cpu_percent: float | None = Field(default=None, ge=0, le=100_000, description="Worker CPU, % of one core")
    memory_bytes: int | None = Field(default=None, ge=0, description="Worker resident memory")
    cameras: list[CameraStatus] = Field(default_factory=list, max_length=MAX_CAMERAS)
    sensors: list[SensorStatus] = Field(default_factory=list, max_length=MAX_SENSORS)

    @field_validator("sent_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return to_utc(value)
