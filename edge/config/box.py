"""The edge box's whole configuration (`EdgeConfig`) and what the centre manages of it (`BoxConfig`),
read once from YAML and validated whole.

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
from pathlib import Path
from typing import Any, Self

from pydantic import Field, field_validator, model_validator

from detectors.config import SchedulerConfig
from edge.config.api import ApiConfig
from edge.config.camera import CameraConfig
from edge.config.clips import ClipsConfig
from edge.config.errors import EdgeConfigError
from edge.config.http import HttpConfig
from edge.config.outbox import OutboxConfig
from edge.config.sensors import SensorConfig
from gridwatch.contracts.alert import Identifier
from gridwatch.strict import Strict
from gridwatch.yamlfile import load_yaml_model
from ingest.config import is_stream_url
from ingest.mqtt.config import MqttConfig
from ingest.wvp.config import WvpConfig

BOX_FIELDS = (
    "device_id", "api", "data_dir", "drain_timeout_s", "http", "outbox", "clips", "malloc_trim_s",
    "scheduler", "heartbeat_s",
)  # fmt: skip
"""The box's own settings: never part of a configuration kept at the centre (`BoxConfig`)."""


class BoxConfig(Strict):
    """What the centre can manage for a box: its cameras (detector settings, zones, lines, rules),
    its sensors, their broker and wvp. `PUT /v1/devices/{box}/config` validates with this model;
    `gridwatch edge run --centre` runs it with the box's own settings (`EdgeConfig`).
    """

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
