"""A real Mosquitto broker on a free loopback port, for tests and bench/sensors.py.

Persistence is on (in a temporary folder), so a restart on the same port keeps sessions and
queued QoS 1 messages. ``max_queued_messages`` is raised: Mosquitto's default (1000) drops queued
QoS 1 messages beyond it while still acknowledging the publisher.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
ANONYMOUS = "allow_anonymous true\n"


class BrokerError(RuntimeError):
    """The test broker did not start or stop in time."""


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mosquitto:
    """Start, stop and restart one broker; use as a context manager.

    Example:
        >>> with Mosquitto(tmp_path) as broker:
        ...     broker.port
    """

    def __init__(self, folder: Path, *, max_queued: int = 20_000, settings: str = ANONYMOUS) -> None:
        self.folder = folder
        self.settings = settings
        self.port = free_port()
        self.max_queued = max_queued
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> None:
        """Start on ``self.port`` and wait until it accepts connections."""
        data = self.folder / "mosquitto-data"
        data.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n{self.settings}user root\npersistence true\n"
            f"persistence_location {data}/\nmax_queued_messages {self.max_queued}\n"
            "max_inflight_messages 100\nautosave_interval 3600\n"
            f"log_dest file {self.folder / 'mosquitto.log'}\n",
            encoding="utf-8",
        )
        self._process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrokerError(f"mosquitto exited with {self._process.returncode}; see {self.folder}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on 127.0.0.1:{self.port} within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop (SIGTERM: it saves its persistence file), killing it if it does not end in time."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout)
        self._process = None

    def restart(self) -> None:
        """Stop and start again on the same port with the same persistence."""
        self.stop()
        self.start()


@contextmanager
def running_broker(folder: Path, *, settings: str = ANONYMOUS) -> Iterator[Mosquitto]:
    """A started broker, stopped on exit (for fixtures); ``settings`` are extra mosquitto.conf lines."""
    broker = Mosquitto(folder, settings=settings)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def publish_all(
    port: int,
    messages: Iterable[tuple[str, bytes]],
    *,
    client_id: str = "test-publisher",
    timeout: float = 60,
) -> int:
    """Publish with QoS 1 and wait until the broker acknowledged every message; returns the count."""
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
        deadline = time.monotonic() + timeout
        for info in infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
            if not info.is_published():
                raise BrokerError(f"message {info.mid} not acknowledged within {timeout} s")
    finally:
        client.disconnect()
        client.loop_stop()
    return len(infos)


def wait_until(predicate: Callable[[], object], timeout: float = 60.0, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` seconds passed; its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return bool(predicate())
        time.sleep(interval)
    return True
