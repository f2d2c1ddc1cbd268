"""The feed with a user name, a password and TLS (a CA file) against a real Mosquitto that demands them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.backoff import BackoffConfig
from ingest.mqtt import DeadLetterStore, MqttConfig, PayloadParser, SensorFeed, SensorKind, SensorReading
from tests.ingest.mqtt.broker import Mosquitto, running_broker, wait_until

pytestmark = pytest.mark.slow


def openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> None:
    """A test CA and a server certificate for 127.0.0.1 signed by it."""
    folder.mkdir(parents=True, exist_ok=True)
    openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=gridwatch-test-ca")  # fmt: skip
    openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")  # fmt: skip
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n", encoding="utf-8")
    openssl(folder, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")  # fmt: skip


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker that takes only TLS connections from user 'edge' with password 's3cret'."""
    certs = tmp_path / "certs"
    make_certificates(certs)
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "edge", "s3cret"], check=True, timeout=30)
    settings = (
        f"allow_anonymous false\npassword_file {passwords}\n"
        f"cafile {certs / 'ca.pem'}\ncertfile {certs / 'server.pem'}\nkeyfile {certs / 'server.key'}\n"
    )
    with running_broker(tmp_path / "broker", settings=settings) as broker:
        yield broker


def feed_for(broker: Mosquitto, tmp_path: Path, password: str, readings: list[SensorReading]) -> SensorFeed:
    config = MqttConfig(
        port=broker.port, client_id="secure-feed", username="edge", password=password,
        tls_ca_file=tmp_path / "certs" / "ca.pem", backoff=BackoffConfig(initial_s=0.2, max_s=1),
    )  # fmt: skip
    parser = PayloadParser({"gas-1": SensorKind.GAS}, topic_prefix=config.topic_prefix)
    store = DeadLetterStore(tmp_path / f"dead-{password}.jsonl")
    return SensorFeed(config, parser, handler=readings.append, dead_letters=store)


def publish_secure(broker: Mosquitto, tmp_path: Path) -> None:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="secure-publisher")
    client.username_pw_set("edge", "s3cret")
    client.tls_set(ca_certs=str(tmp_path / "certs" / "ca.pem"))
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        info = client.publish("gridwatch/sensors/gas-1/gas", json.dumps({"value": 12.5}), qos=1)
        info.wait_for_publish(30)
        assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


def test_the_feed_reads_over_tls_with_its_user_and_password(secure_broker: Mosquitto, tmp_path: Path) -> None:
    readings: list[SensorReading] = []
    feed = feed_for(secure_broker, tmp_path, "s3cret", readings)
    feed.start()
    try:
        assert feed.wait_connected(20)
        publish_secure(secure_broker, tmp_path)
        assert wait_until(lambda: len(readings) == 1, timeout=30)
    finally:
        feed.stop()
        feed.dead_letters.close()
    assert readings[0].value == 12.5


def test_a_wrong_password_is_refused_and_the_feed_keeps_trying_until_stopped(
    secure_broker: Mosquitto, tmp_path: Path
) -> None:
    feed = feed_for(secure_broker, tmp_path, "wrong", [])
    feed.start()
    try:
        assert not feed.wait_connected(2)
        assert feed.running
    finally:
        feed.stop(timeout=10)
        feed.dead_letters.close()
    assert not feed.running
