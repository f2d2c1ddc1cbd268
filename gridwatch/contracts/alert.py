"""The alert an edge box sends to the centre (`POST /v1/alerts`).

Defined once here; the edge builds it, the API parses it. Parsing checks everything a
receiver must be able to trust afterwards: UTC times, coordinates in range, finite numbers, every
list and string bounded, no NUL characters, the evidence snapshot decodes and matches its sha256.
Whether `observed_at` is plausible is the receiver's call (the centre flags times far from its
clock), not the contract's: parsing never depends on the clock.

Example:
    >>> from datetime import UTC, datetime
    >>> Alert(alert_id="edge-01-0001", device_id="edge-01", source_id="cam-1",
    ...       source_kind="camera", kind="intrusion", severity="high",
    ...       observed_at=datetime(2026, 11, 21, 3, 0, tzinfo=UTC),
    ...       location=Location(lon=116.4, lat=39.9)).kind
    <AlertKind.INTRUSION: 'intrusion'>
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gridwatch.strict import Strict

MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024
"""Largest evidence snapshot (decoded JPEG bytes) an alert may carry."""

MAX_SNAPSHOT_B64_CHARS = (MAX_SNAPSHOT_BYTES + 2) // 3 * 4
"""Length of that snapshot in base64."""

MAX_BOXES = 500
MAX_READINGS = 100
MAX_DETAILS = 32
MAX_TEXT = 256
"""Longest free-text value (a reading's text value, a detail's text value)."""

MAX_TRACK_ID = 2**31 - 1

ENCODED_HERE = "gridwatch.snapshot_jpeg"
"""Validation context key: the JPEG bytes `Evidence.with_snapshot` just encoded (no decode, no re-hash)."""

NO_NUL = r"^[^\x00]*$"
"""Pattern of free text: anything but NUL (PostgreSQL text cannot hold it), for every wire schema."""

MAX_ALERT_JSON_BYTES = MAX_SNAPSHOT_B64_CHARS + 1024 * 1024
"""Largest JSON body of a legitimate alert: the largest snapshot in base64, plus 1 MiB for the rest
(500 boxes, 100 readings and 32 details at their longest escaped lengths take about 0.6 MiB)."""


DetailValue = int | float | bool | str
"""The value of one extra fact of an alert (`Alert.details`)."""
Details = dict[str, DetailValue]
"""Extra facts of an alert, as rules (video and sensor) produce them."""

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""A lower-case hex sha256 digest."""
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
Text = Annotated[str, Field(max_length=MAX_TEXT, pattern=NO_NUL)]
Unit = Annotated[str, Field(max_length=16, pattern=NO_NUL)]


def make_alert_id(source_id: str, *key: object) -> str:
    """The one way alert ids are made: the source's id (its first 24 characters) and 32 hex digits of
    the sha256 of `key`, so one key always makes one id (a restart re-creating an alert is deduplicated
    by the outbox and the centre); put something unique in `key` for an id that is new every time.

    Example:
        >>> make_alert_id("cam-1", "rule", 7)
        'cam-1-a05e44049884f6c69d06d174882337f6'
    """
    digest = hashlib.sha256("|".join(str(part) for part in key).encode("utf-8")).hexdigest()
    return f"{source_id[:24]}-{digest[:32]}"


class AlertKind(StrEnum):
    """What was observed."""

    INTRUSION = "intrusion"
    CROWD = "crowd"
    LOITERING = "loitering"
    LINE_CROSSING = "line_crossing"
    VEHICLE_STATIONARY = "vehicle_stationary"
    SMOKE = "smoke"
    FIRE = "fire"
    WATER_LEVEL = "water_level"
    GAS = "gas"
    DOOR = "door"
    MANHOLE = "manhole"
    TEMPERATURE = "temperature"
    BATTERY = "battery"
    DEVICE_OFFLINE = "device_offline"


class AlertPhase(StrEnum):
    """An episode is raised once and, for conditions that end, cleared once."""

    RAISED = "raised"
    CLEARED = "cleared"


class Severity(StrEnum):
    """How urgent the centre should treat the alert."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class SourceKind(StrEnum):
    """Which kind of device produced the observation."""

    CAMERA = "camera"
    SENSOR = "sensor"
    EDGE = "edge"


def to_utc(value: datetime) -> datetime:
    """An aware datetime converted to UTC; ValueError when it has no zone or leaves the calendar."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a timezone (e.g. 2026-11-21T03:00:00Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} lies outside the years 1-9999 in UTC") from None


class _Strict(Strict):
    model_config = ConfigDict(allow_inf_nan=False)


class Location(_Strict):
    """WGS-84 longitude/latitude of the camera, sensor or zone."""

    lon: float = Field(ge=-180, le=180, description="Longitude in degrees (WGS-84)")
    lat: float = Field(ge=-90, le=90, description="Latitude in degrees (WGS-84)")


class EvidenceBox(_Strict):
    """One object box of the evidence, in pixels of the original frame."""

    label: Label = Field(description="Class name or class group")
    score: float = Field(ge=0, le=1, description="Detector confidence")
    box: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 in pixels")
    track_id: int | None = Field(
        default=None, ge=0, le=MAX_TRACK_ID, description="Tracker id, when tracking is on"
    )

    @field_validator("box")
    @classmethod
    def _ordered(cls, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x1, y1, x2, y2 = box
        if x2 < x1 or y2 < y1:
            raise ValueError(f"box {list(box)} must have x1 <= x2 and y1 <= y2")
        return box


class Reading(_Strict):
    """One sensor reading attached as evidence."""

    name: Label = Field(description="What was measured, e.g. water_level")
    value: float | bool | Text = Field(description="The measured value (finite; text up to 256 characters)")
    unit: Unit = Field(default="", description="Unit, e.g. m, ppm, %")
    at: datetime | None = Field(default=None, description="When it was measured (UTC; naive means UTC)")

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return to_utc(value)


class Evidence(_Strict):
    """What backs the alert up: a snapshot with boxes drawn, the boxes, readings."""

    snapshot_jpeg_b64: str | None = Field(
        default=None, max_length=MAX_SNAPSHOT_B64_CHARS, description="JPEG snapshot, base64 (at most 2 MiB)"
    )
    snapshot_sha256: Sha256Hex | None = Field(default=None, description="sha256 of the decoded JPEG bytes")
    boxes: list[EvidenceBox] = Field(default_factory=list, max_length=MAX_BOXES)
    readings: list[Reading] = Field(default_factory=list, max_length=MAX_READINGS)

    _jpeg: bytes | None = PrivateAttr(default=None)
    """The decoded snapshot, kept from validation so that nobody decodes it again."""

    @model_validator(mode="after")
    def _snapshot_matches(self, info: ValidationInfo) -> Evidence:
        if (self.snapshot_jpeg_b64 is None) != (self.snapshot_sha256 is None):
            raise ValueError("snapshot_jpeg_b64 and snapshot_sha256 must be given together")
        if self.snapshot_jpeg_b64 is None or self._jpeg is not None:
            return self  # no snapshot, or an instance already checked (pydantic re-runs this on it)
        trusted = (info.context or {}).get(ENCODED_HERE)
        data = trusted if isinstance(trusted, bytes) else self._decode()
        if len(data) > MAX_SNAPSHOT_BYTES:
            raise ValueError(f"snapshot is {len(data)} bytes; the limit is {MAX_SNAPSHOT_BYTES}")
        if not data.startswith(b"\xff\xd8"):
            raise ValueError("snapshot_jpeg_b64 is not a JPEG (no SOI marker)")
        if trusted is None and (digest := hashlib.sha256(data).hexdigest()) != self.snapshot_sha256:
            raise ValueError(f"snapshot sha256 is {digest}, not the declared {self.snapshot_sha256}")
        self._jpeg = data
        return self

    def snapshot_bytes(self) -> bytes:
        """The decoded snapshot, or b"" when there is none (decoded once, when the evidence was built)."""
        if self.snapshot_jpeg_b64 is None:
            return b""
        return self._jpeg if self._jpeg is not None else self._decode()

    def _decode(self) -> bytes:
        assert self.snapshot_jpeg_b64 is not None
        if len(self.snapshot_jpeg_b64) > MAX_SNAPSHOT_B64_CHARS:
            raise ValueError(f"snapshot is larger than {MAX_SNAPSHOT_BYTES} bytes")
        try:
            return base64.b64decode(self.snapshot_jpeg_b64, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"snapshot_jpeg_b64 is not valid base64: {exc}") from exc

    @classmethod
    def with_snapshot(cls, jpeg: bytes, **fields: Any) -> Evidence:
        """Build evidence around JPEG bytes, computing the base64 and the sha256 (not decoded again)."""
        return cls.model_validate(
            {
                "snapshot_jpeg_b64": base64.b64encode(jpeg).decode("ascii"),
                "snapshot_sha256": hashlib.sha256(jpeg).hexdigest(),
                **fields,
            },
            context={ENCODED_HERE: jpeg},
        )


class ModelRef(_Strict):
    """The model that produced a video alert."""

    name: Label
    version: Label


class Alert(_Strict):
    """One observation from an edge box that the centre should register."""

    alert_id: Identifier = Field(description="Idempotency id chosen at the edge; retries reuse it")
    device_id: Identifier = Field(description="The edge box that sent it")
    source_id: Identifier = Field(description="The camera or sensor that observed it")
    source_kind: SourceKind
    kind: AlertKind
    phase: AlertPhase = AlertPhase.RAISED
    severity: Severity
    observed_at: datetime = Field(description="When it was observed, timezone-aware, stored as UTC")
    location: Location
    rule: Label | None = Field(default=None, description="Rule that raised it")
    evidence: Evidence = Field(default_factory=Evidence)
    model: ModelRef | None = None
    score: float | None = Field(default=None, ge=0, le=1)
    details: dict[Label, Annotated[int, Field(ge=-(2**63), le=2**63 - 1)] | float | bool | Text] = Field(
        default_factory=dict, max_length=MAX_DETAILS, description="Extra facts, e.g. frame index"
    )

    @field_validator("observed_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return to_utc(value)
