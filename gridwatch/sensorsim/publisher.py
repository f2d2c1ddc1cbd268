"""Publish readings with QoS 1 and wait, with a timeout, until the broker acknowledged them.

Used by ``gridwatch sensors simulate`` and the benchmark; the same credentials and TLS as the feed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from ingest.mqtt.config import MqttConfig
from ingest.mqtt.errors import SensorFeedError


class ReadingPublisher:
    """A plain MQTT publisher (clean session) for simulated or replayed readings.

    Example:
        >>> with ReadingPublisher(config, client_id="sim-1") as publisher:
        ...     publisher.publish([("gridwatch/sensors/wl-1/water_level", b'{"value": 1.0}')], timeout=10)
    """

    def __init__(self, config: MqttConfig, *, client_id: str) -> None:
        self.config = config
        self._connected = threading.Event()
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if config.protocol == "5" else mqtt.MQTTv311,
        )
        self._client.max_inflight_messages_set(1000)
        self._client.on_connect = self._on_connect
        if config.username is not None:
            self._client.username_pw_set(config.username, config.password)
        if config.tls_ca_file is not None:
            self._client.tls_set(ca_certs=str(config.tls_ca_file))

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def connect(self) -> None:
        """Connect, waiting at most ``connect_timeout_s``; SensorFeedError when the broker does not answer."""
        where = f"{self.config.host}:{self.config.port}"
        try:
            self._client.connect_async(self.config.host, self.config.port, keepalive=self.config.keepalive_s)
        except ValueError as exc:
            raise SensorFeedError(f"mqtt {where}: {exc}") from exc
        self._client.loop_start()
        if not self._connected.wait(self.config.connect_timeout_s):
            self.close()
            raise SensorFeedError(f"mqtt broker {where} did not accept a connection within "
                                  f"{self.config.connect_timeout_s} s")  # fmt: skip

    def _on_connect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        if not reason.is_failure:
            self._connected.set()

    def publish(self, messages: Iterable[tuple[str, bytes]], *, timeout: float) -> int:
        """Publish with QoS 1; return once all are acknowledged (SensorFeedError after ``timeout``)."""
        infos = [self._client.publish(topic, payload, qos=1) for topic, payload in messages]
        deadline = time.monotonic() + timeout
        for info in infos:
            info.wait_for_publish(max(0.01, deadline - time.monotonic()))
            if not info.is_published():
                raise SensorFeedError(f"broker did not acknowledge message {info.mid} within {timeout} s")
        return len(infos)

    def close(self, timeout: float = 5.0) -> None:
        """Disconnect and stop the network thread (bounded)."""
        self._client.disconnect()
        stopper = threading.Thread(target=self._client.loop_stop, name="mqtt-publisher-stop", daemon=True)
        stopper.start()
        stopper.join(timeout)
