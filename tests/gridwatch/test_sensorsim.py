"""`gridwatch sensors simulate` as a user runs it, into a sensor worker on a real Mosquitto."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.config import load_edge_config
from edge.outbox import Outbox
from edge.sensors.worker import SensorWorker
from tests.edge.sensors.builders import RIVER
from tests.ingest.mqtt.broker import Mosquitto, running_broker, wait_until

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A started broker with persistence in ``tmp_path``."""
    with running_broker(tmp_path / "broker") as instance:
        yield instance


def simulate(config: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", "sensors", "simulate", "--config", str(config), *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def write_config(folder: Path, port: int, sensors: list[dict[str, Any]]) -> Path:
    path = folder / "edge.yaml"
    raw = {
        "device_id": "edge-sim",
        "api": {"url": "http://127.0.0.1:9", "token": "not-a-real-token"},
        "data_dir": str(folder / "data"),
        "mqtt": {"port": port, "client_id": "edge-sim", "backoff": {"initial_s": 0.2, "max_s": 1}},
        "sensors": sensors,
    }
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


SENSORS: list[dict[str, Any]] = [
    {"id": "wl-1", "kind": "water_level", "location": RIVER,
     "threshold": {"above": 1.2, "clear_below": 1.1, "min_duration_s": 0.3}},
    {"id": "smoke-1", "kind": "smoke", "location": RIVER},
    {"id": "temp-1", "kind": "temperature", "location": RIVER,
     "threshold": {"above": 40, "clear_below": 35}},
    {"id": "gas-1", "kind": "gas", "location": RIVER, "heartbeat_s": 0.3},
]  # fmt: skip


def offline_phases(outbox: Outbox) -> list[str]:
    return [p.alert.phase.value for p in outbox.pending(100) if p.alert.kind.value == "device_offline"]


@pytest.mark.slow
def test_the_simulation_raises_water_smoke_and_offline_once_each_and_clears_what_ends(
    broker: Mosquitto, tmp_path: Path
) -> None:
    path = write_config(tmp_path, broker.port, SENSORS)
    config = load_edge_config(path)
    assert config.mqtt is not None
    outbox = Outbox(tmp_path / "outbox.db")
    worker = SensorWorker(
        "edge-sim", config.mqtt, config.sensors, data_dir=tmp_path, outbox=outbox, tick_s=0.1
    )
    worker.start()
    try:
        assert worker.wait_connected(20)
        result = simulate(path, "--duration", "4", "--interval", "0.1")
        assert result.returncode == 0, result.stderr
        assert "silent from halfway: gas-1" in result.stderr
        assert wait_until(
            lambda: offline_phases(outbox)[-1:] == ["raised"] and worker.alerts >= 5, timeout=30
        )
        kinds = Counter(
            (p.alert.source_id, p.alert.kind.value, p.alert.phase.value)
            for p in outbox.pending(100)
            if p.alert.source_id != "gas-1"
        )
        offline = offline_phases(outbox)
    finally:
        worker.stop()
        outbox.close()
    assert kinds == Counter(
        {
            ("wl-1", "water_level", "raised"): 1,
            ("wl-1", "water_level", "cleared"): 1,
            ("smoke-1", "smoke", "raised"): 1,
            ("smoke-1", "smoke", "cleared"): 1,
        }
    )
    # gas-1 may already be offline before the simulator process has started (that clears on its first
    # reading); whatever came before, it goes offline once it falls silent halfway and stays so.
    assert offline in (["raised"], ["raised", "cleared", "raised"])
    assert worker.dead_letters.count == 0


@pytest.mark.parametrize(
    ("sensors", "options", "message"),
    [
        ([], [], "lists no sensors"),
        (SENSORS, ["--silent", "nobody"], "--silent 'nobody' is not a sensor"),
    ],
)
def test_simulate_refuses_configs_it_cannot_use_with_exit_2(
    tmp_path: Path, sensors: list[dict[str, Any]], options: list[str], message: str
) -> None:
    camera = {"id": "cam-1", "url": "clip.mp4", "location": RIVER}
    path = write_config(tmp_path, 1883, sensors)
    if not sensors:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        path.write_text(yaml.safe_dump({**raw, "cameras": [camera]}), encoding="utf-8")
    result = simulate(path, *options)
    assert result.returncode == 2
    assert message in result.stderr.replace("\n", "")
