"""Poison MQTT messages against a real Mosquitto, a real edge worker and a real central API.

Issue 11 case 1: a gas reading whose `ts` has no UTC time a datetime can hold used to raise
OverflowError in paho's network thread. The thread died without acknowledging the message, the
box went deaf to every sensor, and after a restart the broker delivered the same message again.
Here the worker must dead-letter such messages, acknowledge them and keep raising alarms; and a
worker that finds one waiting (sent earlier, never acknowledged) must survive it too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.config import EdgeConfig
from edge.supervisor import Supervisor
from edge.worker import EdgeWorker, RunSummary
from ingest.backoff import BackoffConfig
from tests.edge.sensors.builders import mqtt_config
from tests.ingest.mqtt.broker import Mosquitto, publish_all, wait_until
from tests.support.centre import CentreApi, Seeded, free_port, wait_for

pytestmark = pytest.mark.slow

CLIENT_ID = "edge-poison-test"
GAS_TOPIC = "gridwatch/sensors/gas-kitchen-01/gas"
SMOKE_TOPIC = "gridwatch/sensors/smoke-school-01/smoke"
POISON = [
    (GAS_TOPIC, b'{"value": 80, "ts": "0001-01-01T00:00:00+08:00"}'),
    (GAS_TOPIC, b'{"value": 80, "ts": "9999-12-31T23:59:59-12:00"}'),
]
SMOKE_ALARM = (SMOKE_TOPIC, b'{"alarm": true}')
IN_A_DEMO_CELL = {"lon": 118.702, "lat": 32.002}


def config(tmp_path: Path, broker: Mosquitto, centre: CentreApi, seeded: Seeded) -> EdgeConfig:
    return EdgeConfig.model_validate(
        {
            "device_id": "edge-test",
            "api": {"url": centre.url, "token": seeded.device_token, "timeout_s": 5, "backoff": {"max_s": 1}},
            "data_dir": tmp_path / "edge",
            "http": {"port": free_port()},
            "drain_timeout_s": 30,
            "mqtt": mqtt_config(broker.port, CLIENT_ID).model_dump(),
            "sensors": [
                {"id": "smoke-school-01", "kind": "smoke", "location": IN_A_DEMO_CELL},
                {"id": "gas-kitchen-01", "kind": "gas", "location": IN_A_DEMO_CELL,
                 "threshold": {"above": 50, "clear_below": 25}},
            ],
        }
    )  # fmt: skip


class Running:
    """An edge worker running on a thread; `stop()` returns its summary."""

    def __init__(self, config: EdgeConfig, supervisor: Supervisor | None = None) -> None:
        self.worker = EdgeWorker(config, supervisor=supervisor)
        self.base = f"http://127.0.0.1:{config.http.port}"
        self._result: list[RunSummary] = []
        self._thread = threading.Thread(
            target=lambda: self._result.append(self.worker.run(once=False)), daemon=True
        )
        self._thread.start()
        if not self.sensors.wait_connected(20):
            self.worker.stop()
            pytest.fail("the edge worker's MQTT feed did not connect and subscribe within 20 s")

    @property
    def sensors(self) -> Any:
        assert self.worker.sensors is not None
        return self.worker.sensors

    def stop(self) -> RunSummary:
        self.worker.stop()
        self._thread.join(60)
        assert not self._thread.is_alive()
        return self._result[0]

    def healthz(self) -> httpx.Response:
        return httpx.get(f"{self.base}/healthz", timeout=5)


@pytest.fixture
def edge_config(tmp_path: Path, broker: Mosquitto, centre: CentreApi, seeded: Seeded) -> EdgeConfig:
    centre.start()
    return config(tmp_path, broker, centre, seeded)


def smoke_alerts(centre: CentreApi) -> int:
    """Alerts in the centre's FIRE events (safe to poll while alerts arrive)."""
    headers = {"Authorization": f"Bearer {centre.user_token}"}
    page = httpx.get(f"{centre.url}/v1/events", params={"limit": 100}, headers=headers, timeout=10)
    page.raise_for_status()
    return sum(int(e["alert_count"]) for e in page.json()["items"] if e["type_code"] == "FIRE")


def dead_reasons(edge_config: EdgeConfig) -> list[str]:
    path = edge_config.data_dir / "sensor-deadletters.jsonl"
    return [json.loads(line)["reason"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_after_two_poison_messages_a_smoke_alarm_still_reaches_the_centre(
    broker: Mosquitto, centre: CentreApi, edge_config: EdgeConfig
) -> None:
    edge = Running(edge_config)
    try:
        publish_all(broker.port, [*POISON, SMOKE_ALARM])
        wait_for(lambda: smoke_alerts(centre) == 1, "the smoke alarm at the centre")
        health = edge.healthz()
        metrics = httpx.get(f"{edge.base}/metrics", timeout=5).text
    finally:
        edge.stop()
    assert health.status_code == 200
    feed = health.json()["threads"]["mqtt-feed"]
    assert (feed["state"], feed["restarts"]) == ("running", 0)  # it never died
    assert "gridwatch_edge_sensor_dead_letters_total 2.0" in metrics
    assert "gridwatch_edge_sensor_readings_total 1.0" in metrics  # the smoke alarm
    assert dead_reasons(edge_config) == [
        "ts: '0001-01-01T00:00:00+08:00' is out of range (years 1 to 9999 in UTC)",
        "ts: '9999-12-31T23:59:59-12:00' is out of range (years 1 to 9999 in UTC)",
    ]


def leave_unacknowledged(port: int, messages: list[tuple[str, bytes]]) -> None:
    """Receive `messages` on the worker's own session and never acknowledge them, as the old worker
    did when the message killed its network thread; then go away, leaving them in flight."""
    received: list[str] = []
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=CLIENT_ID, protocol=mqtt.MQTTv5,
        manual_ack=True,
    )  # fmt: skip
    subscribed = threading.Event()
    client.on_message = lambda _c, _u, message: received.append(message.topic)
    client.on_subscribe = lambda *_args: subscribed.set()
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 3600
    client.connect("127.0.0.1", port, clean_start=False, properties=properties)
    client.loop_start()
    try:
        client.subscribe("gridwatch/sensors/#", qos=1)
        assert subscribed.wait(20)
        publish_all(port, messages, client_id="poisoner")
        assert wait_until(lambda: len(received) == len(messages))
    finally:
        client.disconnect()
        client.loop_stop()


def test_a_restarted_worker_survives_a_redelivered_poison_message(
    broker: Mosquitto, centre: CentreApi, edge_config: EdgeConfig
) -> None:
    leave_unacknowledged(broker.port, POISON)
    first = Running(edge_config)
    try:
        assert wait_until(lambda: first.sensors.feed.stats.dead_letters == 2)  # delivered again
        publish_all(broker.port, [SMOKE_ALARM])
        wait_for(lambda: smoke_alerts(centre) == 1, "the smoke alarm at the centre")
    finally:
        first.stop()
    second = Running(edge_config)  # acknowledged now: the broker must not send the poison again
    try:
        publish_all(broker.port, [SMOKE_ALARM])  # after anything still in flight, on the same session
        wait_for(lambda: smoke_alerts(centre) == 2, "the second smoke alarm at the centre")
        stats = second.sensors.feed.stats
    finally:
        second.stop()
    assert (stats.messages, stats.dead_letters, stats.readings) == (1, 0, 1)


@pytest.fixture
def slow_restarts() -> Supervisor:
    """Restarts 3 s after a death, so a test sees the thread down before it comes back."""
    return Supervisor(backoff=BackoffConfig(initial_s=3, max_s=3, jitter=0))


def test_healthz_names_a_dead_mqtt_feed_until_it_is_restarted(
    broker: Mosquitto, centre: CentreApi, edge_config: EdgeConfig, slow_restarts: Supervisor
) -> None:
    """paho's network thread is ended from outside (`loop_stop`), as a crash in it would end it."""
    edge = Running(edge_config, slow_restarts)
    try:
        edge.sensors.feed._client.loop_stop()
        wait_for(lambda: edge.healthz().status_code == 503, "/healthz to turn unhealthy")
        body = edge.healthz().json()
        assert (body["status"], body["down"]) == ("degraded", ["mqtt-feed"])
        wait_for(lambda: edge.healthz().status_code == 200, "the feed to be restarted")
        assert edge.sensors.wait_connected(20)
        publish_all(broker.port, [SMOKE_ALARM])
        wait_for(lambda: smoke_alerts(centre) == 1, "the smoke alarm after the restart")
        metrics = httpx.get(f"{edge.base}/metrics", timeout=5).text
    finally:
        edge.stop()
    assert 'gridwatch_edge_thread_restarts_total{thread="mqtt-feed"} 1.0' in metrics


def test_healthz_names_a_publisher_killed_by_its_database(
    broker: Mosquitto, centre: CentreApi, edge_config: EdgeConfig
) -> None:
    """A real SQLite error ends the publisher's thread: its table is renamed from another connection."""
    edge = Running(edge_config)
    outbox = edge_config.data_dir / "outbox.db"
    try:
        with sqlite3.connect(outbox) as db:
            db.execute("ALTER TABLE outbox RENAME TO outbox_away")
        wait_for(lambda: edge.healthz().json()["down"] == ["publisher"], "/healthz to name the publisher")
        response = edge.healthz()
        assert response.status_code == 503
        assert "no such table: outbox" in response.json()["threads"]["publisher"]["last_error"]
        assert "no such table: outbox" in response.json()["outbox_error"]
        with sqlite3.connect(outbox) as db:
            db.execute("ALTER TABLE outbox_away RENAME TO outbox")
        wait_for(lambda: edge.healthz().status_code == 200, "the publisher to be restarted")
        publish_all(broker.port, [SMOKE_ALARM])
        wait_for(lambda: smoke_alerts(centre) == 1, "the smoke alarm after the restart")
    finally:
        summary = edge.stop()
    assert (summary.pending, summary.drained) == (0, True)
