"""The MQTT sensor feed: one paho-mqtt 2 client, QoS 1, a persistent session, reconnects by itself.

The broker keeps this client's session (fixed client id; MQTT 5 ``clean_start=False`` with a session
expiry, MQTT 3.1.1 ``clean_session=False``), so QoS 1 readings published while the box is away are
delivered when it comes back. A message is acknowledged only after the handler returned, so a reading
is never acknowledged before it was processed. Messages that do not parse go to the dead letters
(a local file and the dead-letter topic) and the feed goes on; a failing handler is logged and counted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from ingest.mqtt.config import MqttConfig
from ingest.mqtt.deadletters import DeadLetterStore, dead_letter
from ingest.mqtt.errors import PayloadError, SensorFeedError
from ingest.mqtt.payload import PayloadParser
from ingest.mqtt.readings import SensorReading

logger = logging.getLogger(__name__)

QOS = 1


@dataclass
class FeedStats:
    """Counters of the feed (read them for metrics; written by the network thread)."""

    messages: int = 0
    readings: int = 0
    dead_letters: int = 0
    handler_errors: int = 0
    connects: int = 0
    disconnects: int = 0


class SensorFeed:
    """Subscribe to the sensor topics and hand every parsed reading to ``handler``.

    Example:
        >>> feed = SensorFeed(config, parser, handler=print, dead_letters=store)
        >>> feed.start(); feed.wait_connected(10)
        >>> ...; feed.stop()
    """

    def __init__(
        self,
        config: MqttConfig,
        parser: PayloadParser,
        *,
        handler: Callable[[SensorReading], None],
        dead_letters: DeadLetterStore,
    ) -> None:
        self.config = config
        self.stats = FeedStats()
        self._parser = parser
        self._handler = handler
        self.dead_letters = dead_letters
        self._connected = threading.Event()
        self._client = _client(config)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._started = False
        self._stopping = False

    @property
    def connected(self) -> bool:
        """True while a session with the broker is up and the subscription acknowledged."""
        return self._connected.is_set()

    @property
    def running(self) -> bool:
        """True while the network thread runs (it reconnects by itself; only stop() ends it)."""
        thread = self._client._thread  # paho exposes no public accessor for its loop thread
        return self._started and thread is not None and thread.is_alive()

    def start(self) -> None:
        """Connect in the background; keeps retrying (with backoff) until the broker answers."""
        properties = None
        if self.config.protocol == "5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self.config.session_expiry_s
        try:
            self._client.connect_async(
                self.config.host,
                self.config.port,
                keepalive=self.config.keepalive_s,
                clean_start=False,
                properties=properties,
            )
        except ValueError as exc:
            raise SensorFeedError(f"mqtt {self.config.host}:{self.config.port}: {exc}") from exc
        self._client.loop_start()  # paho's own thread: other threads then never write to the socket
        self._started = True

    def wait_connected(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the session and subscription; True when both are up."""
        return self._connected.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect and wait up to ``timeout`` seconds for the network thread to end."""
        self._stopping = True
        self._client.disconnect()
        if self._started:  # paho's loop_stop() joins without a timeout: bound it from a helper thread
            stopper = threading.Thread(target=self._client.loop_stop, name="mqtt-stop", daemon=True)
            stopper.start()
            stopper.join(timeout)
            if stopper.is_alive():
                logger.error("mqtt client %s did not stop within %.1f s", self.config.client_id, timeout)
        self._connected.clear()

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            logger.error("mqtt %s:%d refused the connection: %s", self.config.host, self.config.port, reason)
            return
        self.stats.connects += 1
        logger.info(
            "mqtt connected to %s:%d (session present: %s)",
            self.config.host,
            self.config.port,
            flags.session_present,
        )
        client.subscribe(self.config.subscription, qos=QOS)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: list[ReasonCode], _props: Any
    ) -> None:
        failed = [str(reason) for reason in reasons if reason.is_failure]
        if failed:
            logger.error(
                "mqtt %s refused the subscription %s: %s", self.config.host, self.config.subscription, failed
            )
            return
        self._connected.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self._connected.clear()
        self.stats.disconnects += 1
        logger.log(
            logging.INFO if self._stopping else logging.WARNING,
            "mqtt disconnected from %s:%d: %s",
            self.config.host,
            self.config.port,
            reason,
        )

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.stats.messages += 1
        received_at = datetime.now(UTC)
        payload = bytes(message.payload)
        try:
            reading = self._parser.parse(message.topic, payload, received_at)
        except PayloadError as exc:
            self._dead_letter(message.topic, payload, exc.reason, received_at)
            return
        except UnicodeDecodeError as exc:  # a topic that is not UTF-8
            self._dead_letter("<undecodable topic>", payload, f"topic: {exc}", received_at)
            return
        self.stats.readings += 1
        try:
            self._handler(reading)
        except Exception:  # one reading must not end the feed
            self.stats.handler_errors += 1
            logger.exception("sensor %s: handling a %s reading failed", reading.sensor_id, reading.kind.value)

    def _dead_letter(self, topic: str, payload: bytes, reason: str, received_at: datetime) -> None:
        letter = dead_letter(topic, payload, reason, received_at)
        self.stats.dead_letters += 1
        self.dead_letters.add(letter)
        self._client.publish(self.config.dead_letter_topic, letter.to_json(), qos=QOS)


def _client(config: MqttConfig) -> mqtt.Client:
    v5 = config.protocol == "5"
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=config.client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else False,
    )
    client.connect_timeout = config.connect_timeout_s
    client.reconnect_delay_set(min_delay=config.reconnect_min_s, max_delay=config.reconnect_max_s)  # type: ignore[arg-type]
    client.max_queued_messages_set(10_000)  # dead letters waiting while the broker is away
    if config.username is not None:
        client.username_pw_set(config.username, config.password)
    if config.tls_ca_file is not None:
        try:
            client.tls_set(ca_certs=str(config.tls_ca_file))
        except (OSError, ValueError) as exc:
            raise SensorFeedError(f"mqtt.tls_ca_file {config.tls_ca_file}: {exc}") from exc
    return client
