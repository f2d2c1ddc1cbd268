"""The feed against a real Mosquitto: restarts, and floods of malformed payloads."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.backoff import BackoffConfig
from ingest.mqtt import DeadLetterStore, MqttConfig, PayloadParser, SensorFeed, SensorKind, SensorReading
from tests.ingest.mqtt.broker import Mosquitto, publish_all, wait_until

pytestmark = pytest.mark.slow

PREFIX = "gridwatch/sensors"


class Collector:
    """A handler that keeps every reading it was given."""

    def __init__(self) -> None:
        self.readings: list[SensorReading] = []
        self._lock = threading.Lock()

    def __call__(self, reading: SensorReading) -> None:
        with self._lock:
            self.readings.append(reading)

    def values(self) -> set[float]:
        with self._lock:
            return {r.value for r in self.readings if r.value is not None}


def make_feed(port: int, data: Path, handler: Collector) -> SensorFeed:
    config = MqttConfig(port=port, client_id="feed-test", backoff=BackoffConfig(initial_s=0.2, max_s=1))
    parser = PayloadParser({"wl-1": SensorKind.WATER_LEVEL}, topic_prefix=PREFIX)
    return SensorFeed(config, parser, handler=handler, dead_letters=DeadLetterStore(data / "dead.jsonl"))


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def feed(broker: Mosquitto, tmp_path: Path, collector: Collector) -> Iterator[SensorFeed]:
    instance = make_feed(broker.port, tmp_path, collector)
    instance.start()
    assert instance.wait_connected(20)
    yield instance
    instance.stop()
    instance.dead_letters.close()


def level(i: int) -> tuple[str, bytes]:
    """Valid reading number ``i``: its value (i / 1000 m) identifies it."""
    return f"{PREFIX}/wl-1/water_level", json.dumps({"value": i / 1000}).encode()


def test_the_feed_resumes_by_itself_after_the_broker_restarts(
    broker: Mosquitto, feed: SensorFeed, collector: Collector
) -> None:
    publish_all(broker.port, (level(i) for i in range(100)))
    assert wait_until(lambda: len(collector.readings) == 100)
    broker.restart()  # same port, persistence on: the feed's session and subscription survive
    publish_all(broker.port, (level(i) for i in range(100, 200)))  # queued if the feed is not back yet
    assert wait_until(lambda: len(collector.readings) >= 200)
    assert collector.values() == {i / 1000 for i in range(200)}
    assert feed.connected
    assert feed.stats.connects >= 2
    assert feed.stats.disconnects >= 1


MALFORMED: list[tuple[str, bytes, str]] = [
    (f"{PREFIX}/wl-1/water_level", b"{not json", "not JSON"),
    (f"{PREFIX}/wl-1/water_level", b'{"value": "high"}', "value: Input should be a valid number"),
    (f"{PREFIX}/ghost/water_level", b'{"value": 1.0}', "unknown sensor 'ghost'"),
    (f"{PREFIX}/wl-1/water_level", b'{"metres": 1.0}', "value: Field required"),
    (f"{PREFIX}/wl-1/water_level", b"\x00\x9f\xff binary \x00", "not JSON"),
    (f"{PREFIX}/wl-1/gas", b'{"value": 1.0}', "is a water_level sensor, not gas"),
    (f"{PREFIX}/wl-1", b'{"value": 1.0}', "is not gridwatch/sensors/<sensor_id>/<kind>"),
]
ONE_MEGABYTE = bytes(range(256)) * 4096


def malformed(i: int) -> tuple[str, bytes]:
    if i % 2000 == 1999:  # five payloads of 1 MB of binary among the 10,000
        return f"{PREFIX}/wl-1/water_level", ONE_MEGABYTE
    topic, payload, _ = MALFORMED[i % len(MALFORMED)]
    return topic, payload


def flood(total_bad: int, every: int) -> Iterator[tuple[str, bytes]]:
    """``total_bad`` malformed messages with a valid reading after every ``every`` of them."""
    for i in range(total_bad):
        yield malformed(i)
        if i % every == every - 1:
            yield level(i // every)


class DeadLetterListener:
    """A plain paho client counting what arrives on the dead-letter topic."""

    def __init__(self, port: int, topic: str) -> None:
        self.reasons: list[str] = []
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="dl-listener")
        self.client.on_message = lambda _c, _u, m: self.reasons.append(json.loads(m.payload)["reason"])
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_ten_thousand_malformed_payloads_are_dead_lettered_and_valid_ones_all_processed(
    broker: Mosquitto, feed: SensorFeed, collector: Collector
) -> None:
    listener = DeadLetterListener(broker.port, feed.config.dead_letter_topic)
    try:
        publish_all(broker.port, flood(10_000, every=10), timeout=120)
        assert wait_until(lambda: feed.stats.messages == 11_000, timeout=120)
        assert wait_until(lambda: len(listener.reasons) == 10_000, timeout=60)
    finally:
        listener.close()
    assert feed.running
    assert (feed.stats.dead_letters, feed.stats.readings, feed.stats.handler_errors) == (10_000, 1_000, 0)
    assert collector.values() == {i / 1000 for i in range(1000)}
    stored = [json.loads(line) for line in feed.dead_letters.path.read_text(encoding="utf-8").splitlines()]
    assert len(stored) == 10_000
    expected = {reason for _, _, reason in MALFORMED} | {"payload is 1048576 bytes"}
    assert {next(e for e in expected if e in letter["reason"]) for letter in stored} == expected
    assert sum(letter["size"] == len(ONE_MEGABYTE) for letter in stored) == 5
    assert all(any(e in reason for e in expected) for reason in listener.reasons)


def test_a_feed_started_before_its_broker_connects_once_the_broker_is_up(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path / "late-broker")
    collector = Collector()
    feed = make_feed(broker.port, tmp_path, collector)
    feed.start()
    try:
        assert not feed.wait_connected(1)
        broker.start()
        assert feed.wait_connected(30)
        publish_all(broker.port, [level(1)])
        assert wait_until(lambda: len(collector.readings) == 1)
    finally:
        feed.stop()
        feed.dead_letters.close()
        broker.stop()


def test_a_failing_handler_is_counted_dead_lettered_and_the_feed_goes_on(
    broker: Mosquitto, tmp_path: Path
) -> None:
    seen: list[float | None] = []

    def handler(reading: SensorReading) -> None:
        seen.append(reading.value)
        if reading.value == 0.002:
            raise RuntimeError("a rule broke on this reading")

    parser = PayloadParser({"wl-1": SensorKind.WATER_LEVEL}, topic_prefix=PREFIX)
    store = DeadLetterStore(tmp_path / "dead.jsonl")
    feed = SensorFeed(
        MqttConfig(port=broker.port, client_id="failing"), parser, handler=handler, dead_letters=store
    )
    feed.start()
    try:
        assert feed.wait_connected(20)
        publish_all(broker.port, (level(i) for i in range(5)))
        assert wait_until(lambda: len(seen) == 5)
    finally:
        feed.stop()
        store.close()
    assert (feed.stats.readings, feed.stats.handler_errors, feed.stats.dead_letters) == (5, 1, 1)
    [letter] = [json.loads(line) for line in store.path.read_text(encoding="utf-8").splitlines()]
    assert letter["reason"] == (
        "handler failed on this water_level reading: RuntimeError: a rule broke on this reading"
    )
    assert feed.running is False  # stopped by us, not by the failure
