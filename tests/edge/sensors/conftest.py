"""A real Mosquitto broker per test, on a free loopback port, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest.mqtt.broker import Mosquitto, running_broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A started broker with persistence in ``tmp_path``."""
    with running_broker(tmp_path / "broker") as instance:
        yield instance
