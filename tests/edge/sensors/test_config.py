"""The sensors and mqtt sections of the edge config: the example loads, mistakes are named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.config import EdgeConfigError, load_edge_config
from ingest.mqtt import SensorKind
from tests.edge.sensors.builders import RIVER

EXAMPLE = Path(__file__).resolve().parents[3] / "configs" / "edge.sensors.example.yaml"


def test_the_sensors_example_loads_without_cameras() -> None:
    config = load_edge_config(EXAMPLE)
    assert config.cameras == []
    assert config.mqtt is not None
    assert config.mqtt.subscription == "gridwatch/sensors/#"
    assert [s.kind for s in config.sensors][:3] == [SensorKind.WATER_LEVEL, SensorKind.SMOKE, SensorKind.GAS]
    assert config.sensors[0].silence_limit_s == 180


def base(**fields: Any) -> dict[str, Any]:
    return {
        "device_id": "edge-1",
        "api": {"url": "http://127.0.0.1:8000", "token": "a-long-enough-token"},
        "mqtt": {"client_id": "edge-1", "tls_ca_file": "ca.pem"},
        "sensors": [{"id": "wl-1", "kind": "water_level", "location": RIVER}],
        **fields,
    }


def load(tmp_path: Path, raw: dict[str, Any]) -> Any:
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_edge_config(path)


def test_a_relative_tls_ca_file_is_resolved_against_the_config_file(tmp_path: Path) -> None:
    assert load(tmp_path, base()).mqtt.tls_ca_file == tmp_path / "ca.pem"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sensors": []}, "at least one camera or sensor"),
        ({"mqtt": None}, "sensors need an mqtt section"),
        ({"sensors": [{"id": "a", "kind": "gas", "location": RIVER}] * 2}, "sensor ids must be unique"),
        ({"sensors": [{"id": "a", "kind": "lava", "location": RIVER}]}, "sensors.0.kind"),
        ({"mqtt": {"client_id": "e", "qos": 2}}, "mqtt.qos: Extra inputs"),
        ({"mqtt": {"client_id": "e", "password": "x"}}, "mqtt.password needs mqtt.username"),
        ({"mqtt": {"client_id": "e", "topic_prefix": "a/#"}}, "mqtt.topic_prefix"),
        ({"mqtt": {"client_id": "e", "dead_letter_topic": "gridwatch/sensors/dead"}}, "must lie outside"),
    ],
)
def test_mistakes_are_refused_naming_them(tmp_path: Path, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(EdgeConfigError) as caught:
        load(tmp_path, base(**fields))
    assert message in str(caught.value)
