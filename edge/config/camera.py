"""One camera of the edge config: where to read it, how, where it is, and what to look for.

Example (one entry of the `cameras` list):

    - id: cam-gate
      url: rtsp://10.0.0.7:554/stream1
      location: {lon: 118.70, lat: 32.00}
      detect_fps: 5                       # source settings sit at the camera's level ...
      queue_size: 8
      backoff: {initial_s: 1, max_s: 20}  # ... and are held in `CameraConfig.source`
      rules: {...}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails

from detectors.config import DetectorConfig
from detectors.tracking import TrackerConfig
from edge.config.filters import ObjectFilter
from edge.config.gate import GateConfig
from edge.config.regions import RegionsConfig
from edge.rules import RulesConfig
from gridwatch.contracts.alert import Identifier, Location
from gridwatch.strict import Strict
from ingest.config import SourceSettings, is_stream_url
from ingest.gb28181 import GbIdText
from ingest.wvp.config import WvpChannelRef


class CameraSource(SourceSettings):
    """How a camera's stream is read (`ingest.SourceSettings`), with the edge's defaults: five
    frames a second looked at."""

    detect_fps: float = Field(default=5.0, gt=0, le=60, description="Frames per second looked at")


SOURCE_FIELDS = tuple(CameraSource.model_fields)
"""The keys of a camera entry that are its source settings."""


class CameraOrigin(Strict):
    """Where an imported camera entry came from; `gridwatch cameras import-wvp` writes and updates it."""

    system: Literal["wvp"] = Field(default="wvp", description="The catalogue it was imported from")
    url: str = Field(min_length=1, description="Base URL of that catalogue (wvp's API)")
    api: Literal["device", "common"] = Field(description="wvp API the channel was listed by")
    code: GbIdText = Field(description="The channel's GB/T 28181 id in the catalogue")
    civil_code: str | None = Field(default=None, description="Civil code (行政区划) the catalogue gives")
    online: bool = Field(description="Whether the catalogue held the channel as online at the last import")
    at: datetime = Field(description="When the entry was last imported or updated from the catalogue")


class CameraConfig(Strict):
    """One camera: where to read it, where it is, how often to detect, and its rules."""

    id: Identifier = Field(description="Camera id, sent with every alert (a GB/T 28181 id when imported)")
    name: str | None = Field(default=None, max_length=200, description="Human-readable name")
    url: str | None = Field(
        default=None, min_length=1, description="rtsp://... or a video file (relative to the config file)"
    )
    wvp: WvpChannelRef | None = Field(
        default=None, description="Read the camera through wvp-GB28181-pro (needs the top-level wvp section)"
    )
    imported: CameraOrigin | None = Field(default=None, description="Set by `gridwatch cameras import-wvp`")
    location: Location = Field(description="Where the camera is (WGS-84); alerts are placed there")
    source: CameraSource = Field(
        default_factory=CameraSource,
        description="How the stream is read: detect_fps, realtime, open/read timeouts, decoder_threads, "
        "queue_size, backoff; written at the camera's own level in YAML",
    )
    offline_after_s: float = Field(
        default=60.0, gt=0, description="A live camera with no frame for this long raises device_offline"
    )
    detector: DetectorConfig = Field(default_factory=DetectorConfig, description="Model and thresholds")
    motion: GateConfig = Field(default_factory=GateConfig, description="Motion gate in front of the detector")
    tracker: TrackerConfig = Field(
        default_factory=TrackerConfig, description="Tracking; activation follows the class thresholds"
    )
    regions: RegionsConfig = Field(
        default_factory=RegionsConfig, description="Motion regions: crops of moving areas detected up close"
    )
    filters: dict[str, ObjectFilter] = Field(
        default_factory=dict,
        description="Per class or group: min/max area and ratio, min_score, masks; applied before tracking",
    )
    rules: RulesConfig = Field(default_factory=RulesConfig, description="Zones, lines and rules")

    @model_validator(mode="wrap")
    @classmethod
    def _source_at_camera_level(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """The source settings are written beside the camera's id and url (`detect_fps: 5`) and held
        in `source`; their errors name them where they were written (`cameras.0.detect_fps`)."""
        flat = isinstance(value, dict) and any(name in value for name in SOURCE_FIELDS)
        if not flat:
            return handler(value)
        if "source" in value:
            raise ValueError("give the source settings (detect_fps, ...) at the camera's level or in source")
        source = {name: value[name] for name in SOURCE_FIELDS if name in value}
        rest = {name: item for name, item in value.items() if name not in SOURCE_FIELDS}
        try:
            return handler({**rest, "source": source})
        except ValidationError as exc:
            raise _flattened(exc) from None

    @field_validator("id", mode="before")
    @classmethod
    def _id_is_text(cls, value: Any) -> Any:
        if isinstance(value, int | float):
            raise ValueError(f"camera id {value!r} was read as a number; write it in quotes so YAML keeps it")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.url is None) == (self.wvp is None):
            raise ValueError(
                f"camera {self.id}: give url (a stream or a file) or wvp (a wvp channel), one of them"
            )
        if self.url is not None and self.url.lower().startswith("wvp:"):
            raise ValueError(f"camera {self.id}: a wvp channel goes in a wvp: block, not in url")
        if self.source.start_s and self.is_live:
            raise ValueError(f"camera {self.id}: start_s applies to video files, not to a live camera")
        return self

    @model_serializer(mode="wrap")
    def _dump_flat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dumped as written: the source settings at the camera's level."""
        data: dict[str, Any] = handler(self)
        return {**{k: v for k, v in data.items() if k != "source"}, **data.get("source", {})}

    @property
    def is_live(self) -> bool:
        """True for a stream or a wvp channel (reconnects, offline alerts), False for a file."""
        return self.wvp is not None or (self.url is not None and is_stream_url(self.url))


def _flattened(exc: ValidationError) -> ValidationError:
    """`exc` with `source.` taken off its locations (the settings were written at the camera's level)."""
    errors: list[InitErrorDetails] = []
    for error in exc.errors():
        loc = error["loc"][1:] if error["loc"][:1] == ("source",) else error["loc"]
        detail = InitErrorDetails(type=error["type"], loc=loc, input=error["input"])
        if "ctx" in error:
            detail["ctx"] = error["ctx"]
        errors.append(detail)
    return ValidationError.from_exception_data(exc.title, errors)
