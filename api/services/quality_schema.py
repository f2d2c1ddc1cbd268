"""The shape of `GET /v1/quality`: per camera, rule and model, alerts and what operators made of them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Window(BaseModel):
    """Counts over one window (the last `days` days, by the time the centre received the alerts)."""

    days: int
    alerts: int
    confirmed: int = Field(description="Alerts of events acted on (dispatched, in progress or resolved)")
    false_alarms: int = Field(description="Alerts with a current false-alarm verdict")
    precision: float | None = Field(description="confirmed / (confirmed + false alarms); None without either")


class QualityRow(BaseModel):
    """One camera (`device_id/source_id`), rule or model."""

    key: str
    device_id: str | None = None
    source_id: str | None = None
    last_7d: Window
    last_30d: Window
    false_alarms_by_reason: dict[str, int] = Field(description="Last 30 days, by false-alarm reason")


class ThresholdOut(BaseModel):
    """Raising the score threshold of `label` to `threshold` would have removed these alerts (30 days)."""

    label: str | None
    threshold: float
    false_alarms_removed: int
    false_alarms: int
    false_alarm_share: float
    confirmed_removed: int
    confirmed: int
    confirmed_share: float


class MaskOut(BaseModel):
    """False alarms cluster in `region` (x1, y1, x2, y2 pixels): consider an object mask there."""

    region: tuple[float, float, float, float]
    false_alarms_inside: int
    false_alarms: int
    confirmed_inside: int
    confirmed: int


class CameraQuality(QualityRow):
    """A camera with its suggestions (suggested only: nothing is changed without an admin)."""

    threshold: ThresholdOut | None = None
    mask: MaskOut | None = None


class Quality(BaseModel):
    """Noisiest first: most false alarms over 30 days, then lowest precision."""

    as_of: datetime
    cameras: list[CameraQuality]
    rules: list[QualityRow]
    models: list[QualityRow]
