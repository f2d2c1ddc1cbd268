"""The edge box's configuration, read once from YAML and validated whole.

Example (configs/edge.example.yaml has a full one):

    device_id: edge-demo-01
    api: {url: "http://127.0.0.1:8000", token: "..."}
    cameras:
      - id: cam-room
        url: ../../shared/clips/one-by-one-person-detection.mp4
        location: {lon: 116.3975, lat: 39.9087}
        detect_fps: 5
        rules:
          zones: [{name: room, points: [[0, 0], [767, 0], [767, 431], [0, 431]]}]
          rules: [{type: intrusion, id: room-intrusion, zone: room, classes: [person]}]
      - id: "32010200001320000001"            # a GB/T 28181 camera read through wvp (quoted id)
        wvp: {device_id: "32010200002000000001", channel_id: "32010200001320000001"}
        location: {lon: 118.702, lat: 32.002}
    wvp: {url: "http://10.0.0.5:18080", username: gridwatch, password_env: GRIDWATCH_WVP_PASSWORD}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detectors.config import DetectorConfig, SchedulerConfig
from detectors.tracking import TrackerConfig
from edge.clips.config import ClipsConfig
from edge.filters import ObjectFilter
from edge.gate import GateConfig
from edge.outbox import OutboxConfig
from edge.publisher import ApiConfig
from edge.regions import RegionsConfig
from edge.rules import RulesConfig
from edge.sensors.config import SensorConfig
from gridwatch.contracts.alert import Identifier, Location
from gridwatch.yamlfile import load_yaml_model
from ingest.config import is_stream_url
from ingest.gb28181 import GbIdText
from ingest.mqtt.config import MqttConfig
from ingest.wvp.config import WvpChannelRef, WvpConfig


class EdgeConfigError(ValueError):
    """The edge configuration is missing, malformed or inconsistent; the message names the field."""


class HttpConfig(BaseModel):
    """Where the worker serves /healthz and /metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", description="Address to listen on")
    port: int = Field(default=9108, ge=0, le=65535, description="Port; 0 turns the endpoint off")


class CameraOrigin(BaseModel):
    """Where an imported camera entry came from; `gridwatch cameras import-wvp` writes and updates it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: Literal["wvp"] = Field(default="wvp", description="The catalogue it was imported from")
    url: str = Field(min_length=1, description="Base URL of that catalogue (wvp's API)")
    api: Literal["device", "common"] = Field(description="wvp API the channel was listed by")
    code: GbIdText = Field(description="The channel's GB/T 28181 id in the catalogue")
    civil_code: str | None = Field(default=None, description="Civil code (行政区划) the catalogue gives")
    online: bool = Field(description="Whether the catalogue held the channel as online at the last import")
    at: datetime = Field(description="When the entry was last imported or updated from the catalogue")


class CameraConfig(BaseModel):
    """One camera: where to read it, where it is, how often to detect, and its rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    detect_fps: float = Field(default=5.0, gt=0, le=60, description="Frames per second looked at")
    realtime: bool = Field(default=False, description="Files only: replay at the clip's own rate")
    open_timeout_s: float = Field(default=10.0, gt=0, description="Longest wait to open the stream")
    read_timeout_s: float = Field(default=5.0, gt=0, description="Longest wait for a frame")
    decoder_threads: int = Field(
        default=1, ge=0, le=32,
        description="FFmpeg decoder threads for this camera (1: on its reader thread; 0: FFmpeg's default, "
        "about one per core)",
    )  # fmt: skip
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
        return self

    @property
    def is_live(self) -> bool:
        """True for a stream or a wvp channel (reconnects, offline alerts), False for a file."""
        return self.wvp is not None or (self.url is not None and is_stream_url(self.url))


BOX_FIELDS = (
    "device_id", "api", "data_dir", "drain_timeout_s", "http", "outbox", "clips", "malloc_trim_s",
    "scheduler", "heartbeat_s",
)  # fmt: skip
"""The box's own settings: never part of a configuration kept at the centre (`BoxConfig`)."""


class BoxConfig(BaseModel):
    """What the centre can manage for a box: its cameras (detector settings, zones, lines, rules),
    its sensors, their broker and wvp. `PUT /v1/devices/{box}/config` validates with this model;
    `gridwatch edge run --centre` runs it with the box's own settings (`EdgeConfig`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cameras: list[CameraConfig] = Field(
        default_factory=list, description="Cameras handled by this box (may be empty when sensors are given)"
    )
    mqtt: MqttConfig | None = Field(default=None, description="MQTT broker of the sensors (edge.sensors)")
    sensors: list[SensorConfig] = Field(default_factory=list, description="Sensors read over MQTT")
    wvp: WvpConfig | None = Field(default=None, description="wvp-GB28181-pro of the cameras with a wvp block")

    @model_validator(mode="before")
    @classmethod
    def _no_box_settings(cls, value: Any) -> Any:
        if cls is BoxConfig and isinstance(value, dict):
            local = [name for name in BOX_FIELDS if name in value]
            if local:
                raise ValueError(
                    f"{', '.join(local)}: the box's own settings, not part of a configuration kept at the "
                    "centre; remove them (the box sets them with `gridwatch edge run` options)"
                )
        return value

    @model_validator(mode="after")
    def _unique_cameras(self) -> Self:
        if not self.cameras and not self.sensors:
            raise ValueError("at least one camera or sensor is needed; cameras and sensors are both empty")
        if self.sensors and self.mqtt is None:
            raise ValueError("sensors need an mqtt section (the broker they publish to)")
        for what, ids in (("camera", [c.id for c in self.cameras]), ("sensor", [s.id for s in self.sensors])):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"{what} ids must be unique; repeated: {duplicates}")
        through_wvp = [camera.id for camera in self.cameras if camera.wvp is not None]
        if through_wvp and self.wvp is None:
            raise ValueError(f"cameras {through_wvp} read through wvp, but the config has no wvp section")
        return self


class EdgeConfig(BoxConfig):
    """The whole edge box: its own settings and what the centre can manage (`BoxConfig`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: Identifier = Field(description="This edge box's id, as registered at the centre")
    api: ApiConfig = Field(description="The central API")
    data_dir: Path = Field(
        default=Path("gridwatch-edge"), description="Outbox and state (relative to the file)"
    )
    drain_timeout_s: float = Field(default=30.0, ge=0, description="On stop, how long to keep sending")
    heartbeat_s: float = Field(
        default=15.0, ge=0, description="Seconds between status reports to the centre; 0 turns them off"
    )
    http: HttpConfig = Field(default_factory=HttpConfig, description="/healthz and /metrics of this worker")
    outbox: OutboxConfig = Field(
        default_factory=OutboxConfig, description="Bound and retention of the outbox"
    )
    clips: ClipsConfig = Field(
        default_factory=ClipsConfig, description="Evidence clips before and after each camera alert"
    )
    malloc_trim_s: float = Field(
        default=5.0, ge=0, le=3600,
        description="Return freed heap to the system (glibc malloc_trim) every this many seconds; 0: never",
    )  # fmt: skip
    scheduler: SchedulerConfig = Field(
        default_factory=SchedulerConfig,
        description="One inference scheduler per model for all cameras (`scheduler: off`: each camera runs "
        "the model on its own thread)",
    )

    @field_validator("scheduler", mode="before")
    @classmethod
    def _scheduler_off(cls, value: Any) -> Any:
        """`scheduler: off` (YAML reads it as false) or `on` are short for `{enabled: false|true}`."""
        return {"enabled": value} if isinstance(value, bool) else value


def load_edge_config(path: Path) -> EdgeConfig:
    """Read, validate and resolve relative paths against the file's folder."""
    config = load_yaml_model(path, EdgeConfig, what="edge config", error=EdgeConfigError)
    return resolved(config, path.parent)


SECRET = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""`${NAME}` in a camera URL: replaced on the box by its environment variable NAME (a password that
stays on the box rather than in a configuration kept at the centre)."""


def resolved(config: EdgeConfig, base: Path, environ: Mapping[str, str] | None = None) -> EdgeConfig:
    """Relative file URLs and paths made absolute against `base`; `${NAME}` in camera URLs replaced
    from the environment (EdgeConfigError names the camera and a variable that is not set)."""
    env = os.environ if environ is None else environ
    cameras = [_resolved_camera(camera, base, env) for camera in config.cameras]
    data_dir = config.data_dir if config.data_dir.is_absolute() else base / config.data_dir
    mqtt = config.mqtt
    if mqtt is not None and mqtt.tls_ca_file is not None and not mqtt.tls_ca_file.is_absolute():
        mqtt = mqtt.model_copy(update={"tls_ca_file": base / mqtt.tls_ca_file})
    return config.model_copy(update={"cameras": cameras, "data_dir": data_dir, "mqtt": mqtt})


def _resolved_camera(camera: CameraConfig, base: Path, env: Mapping[str, str]) -> CameraConfig:
    if camera.url is None:
        return camera
    missing = [name for name in SECRET.findall(camera.url) if name not in env]
    if missing:
        raise EdgeConfigError(
            f"camera {camera.id}: its url names environment variable(s) {', '.join(missing)}, "
            "not set on this box"
        )
    url = SECRET.sub(lambda match: env[match.group(1)], camera.url)
    if not is_stream_url(url) and not Path(url).is_absolute():
        url = str((base / url).resolve())
    return camera if url == camera.url else camera.model_copy(update={"url": url})
