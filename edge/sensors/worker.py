"""The sensor side of the edge worker: MQTT feed → sensor rules → the shared outbox.

``EdgeWorker`` starts and stops one ``SensorWorker`` when the config lists sensors. Readings are
processed on the feed's network thread and acknowledged to the broker only afterwards; alerts are on
disk in the outbox before that. A ticker thread raises device_offline for silent sensors. Both
threads run under the worker's ``Supervisor`` ("mqtt-feed", "sensor-silence"): one that dies is
restarted after a backoff, and /healthz names it while it is down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from edge.config import SensorConfig
from edge.outbox import Outbox
from edge.sensors.engine import SensorEngine
from edge.supervisor import Supervisor
from gridwatch.contracts.alert import Alert
from ingest.mqtt import DeadLetterStore, MqttConfig, PayloadParser, SensorFeed, SensorReading

logger = logging.getLogger(__name__)

FEED = "mqtt-feed"
TICKER = "sensor-silence"


class SensorWorker:
    """Run the sensor feed and rules into ``outbox``; ``notify`` wakes the publisher.

    Example:
        >>> worker = SensorWorker("edge-01", mqtt, sensors, data_dir=path, outbox=outbox)
        >>> worker.start(); worker.wait_connected(10)
        >>> ...; worker.stop()
    """

    def __init__(
        self,
        device_id: str,
        mqtt: MqttConfig,
        sensors: Sequence[SensorConfig],
        *,
        data_dir: Path,
        outbox: Outbox,
        notify: Callable[[], None] = lambda: None,
        tick_s: float = 1.0,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.outbox = outbox
        self.engine = SensorEngine(device_id, sensors, started_at=datetime.now(UTC))
        self.dead_letters = DeadLetterStore(data_dir / "sensor-deadletters.jsonl")
        parser = PayloadParser(
            self.engine.kinds, topic_prefix=mqtt.topic_prefix, max_payload_bytes=mqtt.max_payload_bytes
        )
        self.feed = SensorFeed(mqtt, parser, handler=self.handle, dead_letters=self.dead_letters)
        self.alerts = 0
        self.silence_errors = 0
        """Silence checks that raised (logged; the watch goes on)."""
        self._notify = notify
        self._tick_s = tick_s
        self._stop = threading.Event()
        self._own_supervisor = supervisor is None
        self.supervisor = supervisor or Supervisor()

    def start(self) -> None:
        """Connect to the broker (in the background) and start watching for silence."""
        self.feed.start()
        self.supervisor.watch(FEED, alive=lambda: self.feed.running, restart=self.feed.restart)
        self.supervisor.spawn(TICKER, self._tick)
        if self._own_supervisor:
            self.supervisor.start()

    def wait_connected(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the broker session."""
        return self.feed.wait_connected(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect and stop the ticker, waiting at most about ``timeout`` seconds."""
        self._stop.set()
        self.supervisor.release(FEED)
        self.supervisor.release(TICKER)
        self.feed.stop(timeout)
        self.supervisor.join(TICKER, timeout)
        if self._own_supervisor:
            self.supervisor.stop()
        self.dead_letters.close()

    def forget(self) -> None:
        """After `stop`: take the feed and the ticker off the supervisor (a new worker may take the names)."""
        self.supervisor.forget(FEED)
        self.supervisor.forget(TICKER)

    def handle(self, reading: SensorReading) -> None:
        """One parsed reading: evaluate it, queue any alerts durably."""
        self._queue(self.engine.evaluate(reading))

    def _tick(self) -> None:
        while not self._stop.wait(self._tick_s):
            try:
                self._queue(self.engine.check_silence(datetime.now(UTC)))
            except Exception:  # the watch must keep running
                self.silence_errors += 1
                logger.exception("sensor silence check failed")

    def _queue(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            if self.outbox.put(alert):
                self.alerts += 1
        if alerts:
            self._notify()
