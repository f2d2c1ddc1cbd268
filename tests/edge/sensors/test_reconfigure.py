"""A new configuration with changed sensors, applied to a running box against a real Mosquitto: the
sensor worker is rebuilt under the same supervisor, and the new thresholds decide the next alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import EdgeConfig
from edge.supervisor import ThreadState
from edge.worker import EdgeWorker
from tests.edge.sensors.builders import mqtt_config, water_sensor
from tests.edge.sensors.test_worker import episode, threading_run
from tests.ingest.mqtt.broker import Mosquitto, publish_all, wait_until

pytestmark = pytest.mark.slow


def box(port: int, folder: Path, above: float) -> EdgeConfig:
    sensor = water_sensor(min_duration_s=5).model_dump()
    sensor["threshold"] |= {"above": above, "clear_below": above - 0.1}
    return EdgeConfig.model_validate(
        {
            "device_id": "edge-sensors",
            "api": {"url": "http://127.0.0.1:9", "token": "not-a-real-token", "timeout_s": 0.5},
            "data_dir": folder, "http": {"port": 0}, "drain_timeout_s": 0,
            "mqtt": mqtt_config(port, "edge-sensors").model_dump(), "sensors": [sensor],
        }
    )  # fmt: skip


def test_changed_sensors_are_rebuilt_and_run_the_new_threshold(broker: Mosquitto, tmp_path: Path) -> None:
    worker = EdgeWorker(box(broker.port, tmp_path, above=1.2))
    first = worker.sensors
    assert first is not None
    runner = threading_run(worker)
    try:
        assert first.wait_connected(20)
        worker.submit(box(broker.port, tmp_path, above=2.0))  # the episode's 1.3 m no longer counts
        assert wait_until(lambda: worker.sensors is not first and worker.sensors is not None)
        second = worker.sensors
        assert second is not None
        assert second.wait_connected(20)
        assert not first.feed.running
        publish_all(broker.port, episode(0))
        assert wait_until(lambda: second.feed.stats.readings == 20)
        assert second.alerts == 0
        assert first.feed.stats.readings == 0
        assert worker.supervisor.down() == []
        threads = worker.supervisor.health()
        assert threads["mqtt-feed"].state is ThreadState.RUNNING
        assert threads["sensor-silence"].state is ThreadState.RUNNING
    finally:
        worker.stop()
        runner.join(30)
    assert not runner.is_alive()
