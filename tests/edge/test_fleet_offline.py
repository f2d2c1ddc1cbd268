"""A real `gridwatch edge run` against a real `gridwatch api serve`: the box's heartbeats keep it
online; killed, it goes offline within the timeout with exactly one maintenance event (设备故障) in
its sensor's cell; started again, the event is resolved by the centre with a system note."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.edge.sensors.builders import mqtt_config
from tests.ingest.mqtt.broker import Mosquitto, running_broker
from tests.support.centre import DEVICE, REPO, CentreApi, Seeded, wait_for

SHORT = {"GRIDWATCH_API_HEARTBEAT_TIMEOUT_S": "3", "GRIDWATCH_API_FLEET_INTERVAL_S": "0.3"}


@pytest.fixture
def broker(tmp_path: Path) -> Any:
    with running_broker(tmp_path / "broker") as started:
        yield started


def _config(folder: Path, centre: CentreApi, broker: Mosquitto) -> Path:
    raw = {
        "device_id": DEVICE,
        "api": {"url": centre.url, "token": centre.device_token, "timeout_s": 2},
        "data_dir": str(folder / "edge"),
        "heartbeat_s": 0.5,
        "http": {"port": 0},
        "mqtt": mqtt_config(broker.port, "edge-fleet-test").model_dump(mode="json"),
        "sensors": [
            {"id": "wl-1", "kind": "water_level", "location": {"lon": 118.702, "lat": 32.002},
             "threshold": {"above": 1.2, "clear_below": 1.1, "min_duration_s": 30, "severity": "high"}}
        ],
    }  # fmt: skip
    path = folder / "edge.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _box(centre: CentreApi, client: httpx.Client) -> dict[str, Any]:
    reply = client.get(f"{centre.url}/v1/devices/{DEVICE}")
    reply.raise_for_status()
    return dict(reply.json())


def _device_events(centre: CentreApi, client: httpx.Client) -> list[dict[str, Any]]:
    reply = client.get(f"{centre.url}/v1/events", params={"type": "DEVICE", "limit": 500})
    reply.raise_for_status()
    return list(reply.json()["items"])


def _start_box(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(config)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_a_killed_box_goes_offline_once_and_its_return_resolves_the_event(
    seeded: Seeded, tmp_path: Path, broker: Mosquitto
) -> None:
    centre = CentreApi(seeded, tmp_path, env=SHORT)
    centre.start()
    config, log = _config(tmp_path, centre, broker), tmp_path / "edge.log"
    headers = {"Authorization": f"Bearer {centre.user_token}"}
    box = _start_box(config, log)
    try:
        with httpx.Client(headers=headers, timeout=10) as client:
            wait_for(lambda: _box(centre, client)["state"] == "online", f"the box to be online ({log})")
            status = _box(centre, client)["status"]
            assert status["sensors"][0]["id"] == "wl-1"
            assert status["version"]
            assert status["outbox_depth"] == 0
            os.kill(box.pid, signal.SIGKILL)
            box.wait(timeout=10)
            wait_for(lambda: _box(centre, client)["state"] == "offline", "the killed box to go offline")
            wait_for(lambda: len(_device_events(centre, client)) == 1, "one maintenance event")
            [event] = _device_events(centre, client)
            assert (event["type_code"], event["status"], event["cell_code"]) == (
                "DEVICE",
                "new",
                "DX-T01-V01-C001",
            )
            box = _start_box(config, log)
            wait_for(lambda: _box(centre, client)["state"] == "online", "the box to come back")
            wait_for(lambda: _device_events(centre, client)[0]["status"] == "resolved", "the event resolved")
            events = _device_events(centre, client)
            detail = client.get(f"{centre.url}/v1/events/{event['code']}").json()
        assert len(events) == 1
        assert detail["history"][-1]["actor"] == "system"
        assert "恢复在线" in detail["history"][-1]["note"]
        assert len(detail["alerts"]) == 2  # the centre's raised and cleared device_offline
    finally:
        box.send_signal(signal.SIGINT)
        try:
            box.wait(timeout=30)
        except subprocess.TimeoutExpired:
            box.kill()
        centre.stop()


def test_a_heartbeat_for_another_box_or_too_large_is_refused(seeded: Seeded, tmp_path: Path) -> None:
    centre = CentreApi(seeded, tmp_path)
    centre.start()
    try:
        device = {"Authorization": f"Bearer {centre.device_token}"}
        beat = {"device_id": "edge-other", "sent_at": "2026-11-28T00:00:00Z", "version": "x", "uptime_s": 1,
                "outbox_depth": 0, "parked": 0}  # fmt: skip
        url = f"{centre.url}/v1/devices/me/heartbeat"
        assert httpx.post(url, json=beat, headers=device).status_code == 403
        bad = httpx.post(url, json={**beat, "device_id": DEVICE, "uptime_s": -1}, headers=device)
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "uptime_s"]
        assert httpx.post(url, content=b"x" * 300_000, headers=device).status_code == 413
        assert httpx.post(url, json={**beat, "device_id": DEVICE}, headers={}).status_code == 401
        assert (
            httpx.post(url, json={**beat, "device_id": DEVICE}, headers=device).json()["came_back"] is False
        )
    finally:
        centre.stop()
