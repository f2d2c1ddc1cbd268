"""Builders of the sensor tests: sensors, readings at given seconds, MQTT settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from edge.config import SensorConfig
from ingest.mqtt import MqttConfig, SmokeReading, WaterLevelReading

T0 = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
RIVER = {"lon": 118.703, "lat": 32.003}


def at(seconds: float) -> datetime:
    """``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


def water_sensor(**fields: Any) -> SensorConfig:
    """A river gauge: above 1.2 m for ``min_duration_s`` raises, below 1.1 m clears."""
    threshold = {"above": 1.2, "clear_below": 1.1, "min_duration_s": fields.pop("min_duration_s", 30)}
    return SensorConfig.model_validate(
        {"id": "wl-1", "kind": "water_level", "location": RIVER, "threshold": threshold, **fields}
    )


def level(metres: float, seconds: float, sensor_id: str = "wl-1") -> WaterLevelReading:
    """A water level reading taken ``seconds`` after T0."""
    return WaterLevelReading(
        sensor_id=sensor_id, at=at(seconds), received_at=at(seconds), device_time=True, metres=metres
    )


def smoke(alarm: bool, seconds: float, sensor_id: str = "smoke-1") -> SmokeReading:
    """A smoke detector reading taken ``seconds`` after T0."""
    return SmokeReading(
        sensor_id=sensor_id, at=at(seconds), received_at=at(seconds), device_time=True, alarm=alarm
    )


def mqtt_config(port: int, client_id: str = "edge-test-sensors", protocol: str = "5") -> MqttConfig:
    """Settings for a test broker on loopback, reconnecting quickly."""
    return MqttConfig.model_validate(
        {
            "port": port,
            "client_id": client_id,
            "protocol": protocol,
            "backoff": {"initial_s": 0.2, "max_s": 1},
        }
    )
