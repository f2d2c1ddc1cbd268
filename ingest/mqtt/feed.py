"""The MQTT sensor feed: one paho-mqtt 2 client, QoS 1, a persistent session, reconnects by itself.

The broker keeps this client's session (fixed client id; MQTT 5 ``clean_start=False`` with a session
expiry, MQTT 3.1.1 ``clean_session=False``), so QoS 1 readings published while the box is away are
delivered when it comes back. A message is acknowledged only after it was handled, so a reading is
never acknowledged before it was processed.

No message can stop the feed. paho acknowledges a QoS 1 message when ``on_message`` returns; if the
callback raised instead, paho would send no PUBACK and re-raise, which ends its network thread (and
after a restart the broker would deliver the same message again, for as long as the session lives).
So ``on_message`` never raises: a message that does not parse, whose handler fails, or that breaks
anything else is logged, counted and dead-lettered (a local file and the dead-letter topic) with its
reason, then acknowledged, and the feed goes on. ``restart()`` replaces a client whose thread died
anyway (the edge worker's supervisor calls it).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from ingest.backoff import Backoff
from ingest.mqtt.config import MqttConfig
from ingest.mqtt.deadletters import DeadLetterStore, dead_letter
from ingest.mqtt.errors import PayloadError, SensorFeedError
from ingest.mqtt.payload import PayloadParser
from ingest.mqtt.readings import SensorReading

logger = logging.getLogger(__name__)

QOS = 1
P = ParamSpec("P")


@dataclass
class FeedStats:
    """Counters of the feed (read them for metrics; written by the network thread)."""

    messages: int = 0
    readings: int = 0
    dead_letters: int = 0
    handler_errors: int = 0
    message_errors: int = 0
    """Messages that broke the feed's own handling (not the parser or the handler); dead-lettered."""
    dead_letter_failures: int = 0
    """Dead letters that could not be written or published (logged instead)."""
    connects: int = 0
    disconnects: int = 0
    restarts: int = 0


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
        self._backoff = Backoff(config.backoff)
        self._client = self._new_client()
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
        self._connect()
        self._started = True

    def restart(self) -> None:
        """Replace a client whose network thread died with a new one on the same broker session.

        The old connection is closed; the broker then delivers again whatever it had sent but not had
        acknowledged, and everything queued for the session meanwhile.
        """
        old, self._client = self._client, self._new_client()
        old.on_disconnect = None
        try:
            old.loop_stop()  # its thread is gone; this only clears paho's handle on it
            old.disconnect()
        except Exception:  # the old connection may be broken in any way: it is dropped regardless
            logger.warning("mqtt: closing the old client of %s failed", self.config.client_id, exc_info=True)
        self._connected.clear()
        self.stats.restarts += 1
        self._connect()

    def _new_client(self) -> mqtt.Client:
        client = _client(self.config)
        client.on_connect = _logged(self._on_connect)
        client.on_disconnect = _logged(self._on_disconnect)
        client.on_connect_fail = _logged(self._on_connect_fail)
        client.on_message = self._on_message  # guarded inside: it also dead-letters
        client.on_subscribe = _logged(self._on_subscribe)
        return client

    def _connect(self) -> None:
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
        self._backoff.reset()
        logger.info(
            "mqtt connected to %s:%d (session present: %s)",
            self.config.host,
            self.config.port,
            flags.session_present,
        )
        client.subscribe(self.config.subscription, qos=QOS)

    def _on_connect_fail(self, client: mqtt.Client, _userdata: Any) -> None:
        logger.warning("mqtt %s:%d: cannot connect; retrying", self.config.host, self.config.port)
        self._wait_next(client)

    def _wait_next(self, client: mqtt.Client) -> None:
        """Paho waits `min_delay` before its next attempt (it doubles it only while it stays unset):
        set it to this feed's next backoff delay, so its reconnects follow `config.backoff`."""
        delay = self._backoff.next_delay()
        client.reconnect_delay_set(min_delay=delay, max_delay=delay)  # type: ignore[arg-type]

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
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self._connected.clear()
        self._wait_next(client)
        self.stats.disconnects += 1
        logger.log(
            logging.INFO if self._stopping else logging.WARNING,
            "mqtt disconnected from %s:%d: %s",
            self.config.host,
            self.config.port,
            reason,
        )

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        """Handle one message; never raises, so paho acknowledges it and its thread goes on."""
        self.stats.messages += 1
        received_at = datetime.now(UTC)
        payload = bytes(message.payload)
        topic = "<undecodable topic>"
        try:
            topic = message.topic
            self._handle(topic, payload, received_at)
        except UnicodeDecodeError as exc:  # a topic that is not UTF-8
            self._dead_letter(topic, payload, f"topic: {exc}", received_at)
        except Exception as exc:  # anything else: this message must not stop the feed
            self.stats.message_errors += 1
            logger.exception("mqtt: a message on %s broke its handling", topic[:120])
            self._dead_letter(topic, payload, f"internal error: {type(exc).__name__}: {exc}", received_at)

    def _handle(self, topic: str, payload: bytes, received_at: datetime) -> None:
        try:
            reading = self._parser.parse(topic, payload, received_at)
        except PayloadError as exc:
            self._dead_letter(topic, payload, exc.reason, received_at)
            return
        self.stats.readings += 1
        try:
            self._handler(reading)
        except Exception as exc:  # one reading must not end the feed
            self.stats.handler_errors += 1
            logger.exception("sensor %s: handling a %s reading failed", reading.sensor_id, reading.kind.value)
            reason = f"handler failed on this {reading.kind.value} reading: {type(exc).__name__}: {exc}"
            self._dead_letter(topic, payload, reason, received_at)

    def _dead_letter(self, topic: str, payload: bytes, reason: str, received_at: datetime) -> None:
        """Keep and republish one refused message; never raises (a failure is logged and counted)."""
        self.stats.dead_letters += 1
        try:
            letter = dead_letter(topic, payload, reason, received_at)
            self.dead_letters.add(letter)
            self._client.publish(self.config.dead_letter_topic, letter.to_json(), qos=QOS)
        except Exception:
            self.stats.dead_letter_failures += 1
            logger.exception("mqtt: could not keep the dead letter of %s (%s)", topic[:120], reason)


def _logged(callback: Callable[P, None]) -> Callable[P, None]:
    """The callback, with any exception logged and swallowed (paho would end its thread on it)."""

    @functools.wraps(callback)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            callback(*args, **kwargs)
        except Exception:
            logger.exception("mqtt: the %s callback failed", callback.__name__)

    return guarded


def _client(config: MqttConfig) -> mqtt.Client:
    v5 = config.protocol == "5"
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=config.client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else False,
    )
    client.connect_timeout = config.connect_timeout_s
    first = config.backoff.initial_s
    client.reconnect_delay_set(min_delay=first, max_delay=first)  # type: ignore[arg-type]
    client.max_queued_messages_set(10_000)  # dead letters waiting while the broker is away
    client.suppress_exceptions = True  # callbacks are guarded (logged); a raise must never end the thread
    if config.username is not None:
        client.username_pw_set(config.username, config.password)
    if config.tls_ca_file is not None:
        try:
            client.tls_set(ca_certs=str(config.tls_ca_file))
        except (OSError, ValueError) as exc:
            raise SensorFeedError(f"mqtt.tls_ca_file {config.tls_ca_file}: {exc}") from exc
    return client
