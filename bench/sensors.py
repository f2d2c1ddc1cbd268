"""Sensor readings/s through our feed + rules, against a bare paho subscribe loop on the same broker.

Both consumers do the same MQTT work: a persistent session (MQTT 5, fixed client id, QoS 1) whose
queue holds N readings published while the consumer was away; the clock runs from starting the
consumer to its N-th processed reading. Ours parses every payload into a typed reading and runs the
sensor rules (thresholds with hysteresis, rate of rise, flags, heartbeat watch) with alerts into the
SQLite outbox; the bare loop only counts messages. One Mosquitto on a free loopback port serves both,
rounds alternate, medians are reported. Not part of the tests.

The last line printed is JSON with readings_per_s, paho_per_s and ratio_vs_paho.
Run `python bench/sensors.py [--readings 20000] [--rounds 3]` from the repository root.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.config import SensorConfig
from edge.outbox import Outbox
from edge.sensors.worker import SensorWorker
from gridwatch.sensorsim import ReadingPublisher
from ingest.mqtt import MqttConfig
from tests.ingest.mqtt.broker import Mosquitto

SENSORS = 50
LOCATION = {"lon": 118.703, "lat": 32.003}


def sensors() -> list[SensorConfig]:
    """50 water gauges with a threshold, a rate of rise, a battery rule and a heartbeat."""
    return [
        SensorConfig.model_validate({
            "id": f"wl-{i:03d}", "kind": "water_level", "location": LOCATION, "heartbeat_s": 3600,
            "threshold": {"above": 1.2, "clear_below": 1.1, "min_duration_s": 30},
            "rate_of_rise": {"per_minute": 0.05, "window_s": 300},
            "battery_low": {"below": 15, "clear_above": 20},
        })
        for i in range(SENSORS)
    ]  # fmt: skip


def readings(count: int) -> list[tuple[str, bytes]]:
    """Readings one second apart per sensor; a flood episode every 100 s."""
    start = datetime.now(UTC) - timedelta(seconds=count // SENSORS + 60)
    out = []
    for n in range(count):
        sensor, second = n % SENSORS, n // SENSORS
        level = 1.3 if 40 <= second % 100 < 80 else 0.8 + (n % 7) / 100
        ts = (start + timedelta(seconds=second)).isoformat()
        body = json.dumps({"value": level, "unit": "m", "ts": ts})
        out.append((f"gridwatch/sensors/wl-{sensor:03d}/water_level", body.encode()))
    return out


def fill(config: MqttConfig, messages: list[tuple[str, bytes]]) -> None:
    with ReadingPublisher(config, client_id="bench-publisher") as publisher:
        publisher.publish(messages, timeout=300)


def ours(config: MqttConfig, messages: list[tuple[str, bytes]], folder: Path) -> tuple[float, int]:
    """Seconds to process all queued readings through feed + rules + outbox, and alerts queued."""
    outbox = Outbox(folder / "outbox.db")
    first = SensorWorker("bench", config, sensors(), data_dir=folder, outbox=outbox)
    first.start()
    first.wait_connected(30)
    first.stop()  # the session (and its subscription) stays at the broker
    fill(config, messages)
    worker = SensorWorker("bench", config, sensors(), data_dir=folder, outbox=outbox)
    started = time.perf_counter()
    worker.start()
    while worker.feed.stats.readings < len(messages) and time.perf_counter() - started < 600:
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    worker.stop()
    outbox.close()
    assert worker.feed.stats.readings == len(messages), worker.feed.stats
    return elapsed, worker.alerts


class BareCounter:
    """A plain paho client with the same session settings that only counts messages."""

    def __init__(self, config: MqttConfig) -> None:
        self.count = 0
        self.done = threading.Event()
        self.target = 0
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=config.client_id, protocol=mqtt.MQTTv5
        )
        self.client.on_connect = lambda c, _u, _f, _r, _p: c.subscribe(config.subscription, qos=1)
        self.client.on_subscribe = lambda *_a: self.subscribed.set()
        self.client.on_message = self._count
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        self.client.connect_async(config.host, config.port, clean_start=False, properties=props)

    def _count(self, *_args: Any) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()


def bare(config: MqttConfig, messages: list[tuple[str, bytes]]) -> float:
    """Seconds for a bare paho loop to receive all queued readings."""
    first = BareCounter(config)
    first.client.loop_start()
    first.subscribed.wait(30)
    first.client.disconnect()
    first.client.loop_stop()
    fill(config, messages)
    counter = BareCounter(config)
    counter.target = len(messages)
    started = time.perf_counter()
    counter.client.loop_start()
    counter.done.wait(600)
    elapsed = time.perf_counter() - started
    counter.client.disconnect()
    counter.client.loop_stop()
    assert counter.count == len(messages), counter.count
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=20_000, help="Readings queued per round")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds of each consumer (alternating)")
    args = parser.parse_args()
    messages = readings(args.readings)
    ours_s, bare_s, alerts = [], [], 0
    with tempfile.TemporaryDirectory() as tmp, Mosquitto(Path(tmp), max_queued=args.readings * 2) as broker:
        for r in range(args.rounds):
            config = MqttConfig(port=broker.port, client_id=f"bench-ours-{r}")
            elapsed, alerts = ours(config, messages, Path(tmp) / f"ours-{r}")
            ours_s.append(elapsed)
            bare_s.append(bare(MqttConfig(port=broker.port, client_id=f"bench-bare-{r}"), messages))
            print(f"round {r + 1}: ours {args.readings / ours_s[-1]:,.0f}/s ({alerts} alerts), "
                  f"bare paho {args.readings / bare_s[-1]:,.0f}/s")  # fmt: skip
    ours_rate = args.readings / statistics.median(ours_s)
    paho_rate = args.readings / statistics.median(bare_s)
    result = {
        "readings": args.readings,
        "rounds": args.rounds,
        "sensors": SENSORS,
        "alerts_per_round": alerts,
        "readings_per_s": round(ours_rate),
        "paho_per_s": round(paho_rate),
        "ratio_vs_paho": round(ours_rate / paho_rate, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
