"""A real Mosquitto broker per test, on a free loopback port, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest.mqtt.broker import BrokerError, Mosquitto


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A started broker with persistence in ``tmp_path``."""
    instance = Mosquitto(tmp_path / "broker")
    try:
        instance.start()
    except BrokerError as exc:
        pytest.fail(str(exc))
    try:
        yield instance
    finally:
        instance.stop()
