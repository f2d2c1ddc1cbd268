"""Sensor worker against a real Mosquitto: readings in over MQTT, alerts out in the shared outbox."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from edge.config import EdgeConfig, SensorConfig
from edge.outbox import Outbox
from edge.sensors.worker import SensorWorker
from edge.worker import EdgeWorker
from gridwatch.contracts.alert import Alert, AlertKind, AlertPhase, SourceKind
from tests.edge.sensors.builders import RIVER, mqtt_config, water_sensor
from tests.ingest.mqtt.broker import Mosquitto, publish_all, wait_until
from tests.support.centre import free_port

pytestmark = pytest.mark.slow

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
"""Device clock of the first reading; readings are one second apart."""


def message(metres: float, second: int, sensor_id: str = "wl-1") -> tuple[str, bytes]:
    ts = (BASE + timedelta(seconds=second)).isoformat()
    return f"gridwatch/sensors/{sensor_id}/water_level", json.dumps({"value": metres, "ts": ts}).encode()


def normal(count: int, start: int = 0) -> list[tuple[str, bytes]]:
    """Levels between 0.80 and 0.86 m, one a second."""
    return [message(0.8 + (i % 7) / 100, start + i) for i in range(count)]


def episode(start: int) -> list[tuple[str, bytes]]:
    """12 s above 1.2 m, 5 s between the levels (no clear yet), then below 1.1 m: one raise, one clear."""
    levels = [1.3 + (i % 3) / 100 for i in range(12)] + [1.15, 1.18, 1.12, 1.19, 1.11] + [1.0, 0.9, 0.85]
    return [message(metres, start + i) for i, metres in enumerate(levels)]


def alerts_in(outbox: Outbox) -> list[Alert]:
    return [pending.alert for pending in outbox.pending(1000)]


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db")
    yield box
    box.close()


def start_worker(
    port: int, folder: Path, outbox: Outbox, sensors: list[SensorConfig], protocol: str = "5"
) -> SensorWorker:
    mqtt = mqtt_config(port, protocol=protocol)
    worker = SensorWorker("edge-test", mqtt, sensors, data_dir=folder, outbox=outbox, tick_s=0.1)
    worker.start()
    assert worker.wait_connected(20)
    return worker


@pytest.fixture
def worker(broker: Mosquitto, tmp_path: Path, outbox: Outbox) -> Iterator[SensorWorker]:
    instance = start_worker(broker.port, tmp_path, outbox, [water_sensor(min_duration_s=5)])
    yield instance
    instance.stop()


def test_normal_readings_raise_no_alert(broker: Mosquitto, worker: SensorWorker, outbox: Outbox) -> None:
    publish_all(broker.port, normal(300))
    assert wait_until(lambda: worker.feed.stats.readings == 300)
    assert alerts_in(outbox) == []
    assert worker.dead_letters.count == 0


def test_a_threshold_episode_gives_exactly_one_alert_and_one_clear_in_the_outbox(
    broker: Mosquitto, worker: SensorWorker, outbox: Outbox
) -> None:
    readings = normal(30) + episode(30) + normal(30, start=50)
    publish_all(broker.port, readings)
    assert wait_until(lambda: worker.feed.stats.readings == len(readings))
    alerts = alerts_in(outbox)
    assert [(a.kind, a.phase, a.source_kind) for a in alerts] == [
        (AlertKind.WATER_LEVEL, AlertPhase.RAISED, SourceKind.SENSOR),
        (AlertKind.WATER_LEVEL, AlertPhase.CLEARED, SourceKind.SENSOR),
    ]
    raised, cleared = alerts
    assert raised.observed_at == BASE + timedelta(seconds=35)  # above 1.2 m since 30 s, held 5 s
    assert cleared.observed_at == BASE + timedelta(seconds=47)  # the first level below 1.1 m
    assert (raised.source_id, raised.device_id) == ("wl-1", "edge-test")
    assert worker.alerts == 2


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_readings_published_while_the_worker_is_away_are_all_processed_when_it_returns(
    broker: Mosquitto, tmp_path: Path, outbox: Outbox, protocol: str
) -> None:
    sensors = [water_sensor(min_duration_s=5)]
    start_worker(
        broker.port, tmp_path / "first", outbox, sensors, protocol
    ).stop()  # the session stays at the broker
    readings = normal(500) + episode(500) + normal(480, start=520)
    assert publish_all(broker.port, readings) == 1000
    worker = start_worker(broker.port, tmp_path / "second", outbox, sensors, protocol)
    try:
        assert wait_until(lambda: worker.feed.stats.readings >= 1000)
        assert worker.feed.stats.readings == 1000
        assert [(a.kind, a.phase) for a in alerts_in(outbox)] == [
            (AlertKind.WATER_LEVEL, AlertPhase.RAISED),
            (AlertKind.WATER_LEVEL, AlertPhase.CLEARED),
        ]
    finally:
        worker.stop()


def test_a_silent_sensor_raises_device_offline_once_and_clears_when_it_speaks(
    broker: Mosquitto, tmp_path: Path, outbox: Outbox
) -> None:
    sensor = SensorConfig(id="door-1", kind="door", location=RIVER, heartbeat_s=0.2)
    worker = start_worker(broker.port, tmp_path, outbox, [sensor])
    try:
        assert wait_until(lambda: len(alerts_in(outbox)) == 1)
        publish_all(broker.port, [("gridwatch/sensors/door-1/heartbeat", b"{}")])
        assert wait_until(lambda: len(alerts_in(outbox)) == 2)
    finally:
        worker.stop()
    assert [(a.kind, a.phase) for a in alerts_in(outbox)] == [
        (AlertKind.DEVICE_OFFLINE, AlertPhase.RAISED),
        (AlertKind.DEVICE_OFFLINE, AlertPhase.CLEARED),
    ]


def test_the_edge_worker_runs_a_sensors_only_box_into_its_outbox(broker: Mosquitto, tmp_path: Path) -> None:
    metrics_port = free_port()
    config = EdgeConfig.model_validate(
        {
            "device_id": "edge-sensors",
            "api": {"url": "http://127.0.0.1:9", "token": "not-a-real-token", "timeout_s": 0.5},
            "data_dir": tmp_path / "edge",
            "http": {"port": metrics_port},
            "mqtt": mqtt_config(broker.port, "edge-sensors").model_dump(),
            "sensors": [water_sensor(min_duration_s=5).model_dump()],
            "drain_timeout_s": 0,
        }
    )
    worker = EdgeWorker(config)
    assert worker.sensors is not None
    sensors = worker.sensors
    runner = threading_run(worker)
    try:
        assert sensors.wait_connected(20)
        publish_all(broker.port, episode(0))
        assert wait_until(lambda: sensors.alerts == 2)
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert "gridwatch_edge_sensor_readings_total 20.0" in metrics  # the episode's 20 readings
        assert "gridwatch_edge_sensor_alerts_total 2.0" in metrics
        assert "gridwatch_edge_sensor_dead_letters_total 0.0" in metrics
    finally:
        worker.stop()
        runner.join(30)
    assert not runner.is_alive()
    reopened = Outbox(tmp_path / "edge" / "outbox.db")
    try:
        assert [(a.kind, a.phase) for a in alerts_in(reopened)] == [
            (AlertKind.WATER_LEVEL, AlertPhase.RAISED),
            (AlertKind.WATER_LEVEL, AlertPhase.CLEARED),
        ]
    finally:
        reopened.close()


def threading_run(worker: EdgeWorker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, kwargs={"once": False}, daemon=True)
    thread.start()
    return thread
