"""`gridwatch doctor` as a user runs it: a real process against real parts on 127.0.0.1 only.

Healthy: a real centre (API process on a seeded SQLite database), a real Mosquitto, the real default
model and the shared clips. Broken: an empty model cache, a closed database port, a closed broker port,
an unreadable camera (junk file, closed RTSP port), an unknown token: each fails with its named fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.registry import DEFAULT_MODEL
from tests.ingest.mqtt.broker import Mosquitto, running_broker
from tests.support.centre import CENTRE, DEVICE, CentreApi, free_port, seed
from tests.support.models import default_model

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "configs" / "edge.example.yaml"
SENSORS = REPO / "configs" / "edge.sensors.example.yaml"


def doctor(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict[str, str]]]:
    """Run `gridwatch doctor --json`; the exit status and the checks by name."""
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "doctor", "--json", *args],
        capture_output=True, text=True, timeout=180, check=False, cwd=REPO, env={**os.environ, **(env or {})},
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["ok"] is (result.returncode == 0), result.stdout
    return result.returncode, {check["name"]: check for check in report["checks"]}


def edge_yaml(folder: Path, *, url: str, token: str, broker_port: int, **changes: Any) -> Path:
    """The demo edge config (both clips) plus one MQTT sensor, pointed at the given centre and broker."""
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    sensors = yaml.safe_load(SENSORS.read_text(encoding="utf-8"))
    raw["cameras"] = [
        {**camera, "url": str((EXAMPLE.parent / camera["url"]).resolve())} for camera in raw["cameras"]
    ]
    raw.update(device_id=DEVICE, api={"url": url, "token": token}, data_dir=str(folder / "edge"))
    raw["mqtt"] = {**sensors["mqtt"], "port": broker_port, "connect_timeout_s": 3}
    raw["sensors"] = sensors["sensors"][:1]
    raw.update(changes)
    path = folder / "edge.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with running_broker(tmp_path / "broker") as instance:
        yield instance


@pytest.mark.slow
def test_a_healthy_demo_centre_and_edge_config_pass(tmp_path: Path, broker: Mosquitto) -> None:
    default_model()
    seeded = seed(tmp_path / "seed.db")
    centre = CentreApi(seeded, tmp_path)
    centre.start()
    try:
        config = edge_yaml(tmp_path, url=centre.url, token=seeded.device_token, broker_port=broker.port)
        status, checks = doctor("--edge-config", str(config), "--database-url", f"sqlite:///{centre.database}",
                                "--centre-config", str(CENTRE))  # fmt: skip
    finally:
        centre.stop()
    assert status == 0, checks
    expected = {
        "python", "packages", "execution providers", f"model {DEFAULT_MODEL}", "edge config", "centre API",
        "mqtt broker", "camera cam-room", "camera cam-lot", "disk for outbox and evidence", "centre config",
        "database", "database schema", "grids", "disk for the centre database and evidence",
    }  # fmt: skip
    assert set(checks) == expected
    assert {name: check["status"] for name, check in checks.items()} == dict.fromkeys(expected, "ok")
    assert f"accepts the token of {DEVICE}" in checks["centre API"]["detail"]
    assert "first frame 768x432" in checks["camera cam-room"]["detail"]
    assert "sha256 " in checks[f"model {DEFAULT_MODEL}"]["detail"]


def test_a_missing_model_fails_with_the_pull_command(tmp_path: Path) -> None:
    status, checks = doctor(env={"GRIDWATCH_CACHE_DIR": str(tmp_path / "empty-cache")})
    assert status == 1
    check = checks[f"model {DEFAULT_MODEL}"]
    assert check["status"] == "fail"
    assert "not cached" in check["detail"]
    assert check["fix"] == f"gridwatch models pull {DEFAULT_MODEL}"


def test_an_unreachable_database_fails_with_how_to_start_it() -> None:
    port = free_port()  # nothing listens there
    status, checks = doctor("--database-url", f"postgresql+psycopg://postgres@127.0.0.1:{port}/gridwatch")
    assert status == 1
    assert checks["database"]["status"] == "fail"
    assert "Connection refused" in checks["database"]["detail"]
    assert f"start PostgreSQL on 127.0.0.1:{port}" in checks["database"]["fix"]
    assert checks["database schema"]["status"] == "skip"


def test_an_unmigrated_sqlite_database_fails_with_the_migrate_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'centre.db'}"
    status, checks = doctor("--database-url", url)
    assert status == 1
    assert checks["database"]["fix"] == f"gridwatch api migrate --database-url {url}"
    assert not (tmp_path / "centre.db").exists()  # the doctor looks, it never creates


def test_a_closed_broker_port_fails_with_how_to_start_it(tmp_path: Path) -> None:
    port = free_port()
    config = edge_yaml(tmp_path, url=f"http://127.0.0.1:{free_port()}", token="t" * 16, broker_port=port)
    status, checks = doctor("--edge-config", str(config))
    assert status == 1
    assert checks["mqtt broker"]["status"] == "fail"
    assert f"127.0.0.1:{port}" in checks["mqtt broker"]["detail"]
    assert "Connection refused" in checks["mqtt broker"]["detail"]
    assert "sudo systemctl start mosquitto" in checks["mqtt broker"]["fix"]
    assert "correct mqtt.host / mqtt.port" in checks["mqtt broker"]["fix"]
    assert checks["centre API"]["status"] == "fail"
    assert "gridwatch api serve" in checks["centre API"]["fix"]


def test_unreadable_cameras_fail_with_the_url_to_correct(tmp_path: Path, broker: Mosquitto) -> None:
    junk = tmp_path / "not-a-video.mp4"
    junk.write_bytes(os.urandom(4096))
    rtsp = f"rtsp://127.0.0.1:{free_port()}/cam"
    base = {"location": {"lon": 118.702, "lat": 32.002}, "open_timeout_s": 2, "read_timeout_s": 2}
    cameras = [{"id": "cam-junk", "url": str(junk), **base}, {"id": "cam-rtsp", "url": rtsp, **base}]
    config = edge_yaml(tmp_path, url="http://127.0.0.1:9", token="t" * 16, broker_port=broker.port,
                       cameras=cameras)  # fmt: skip
    status, checks = doctor("--edge-config", str(config))
    assert status == 1
    junk_check, rtsp_check = checks["camera cam-junk"], checks["camera cam-rtsp"]
    assert junk_check["status"] == rtsp_check["status"] == "fail"
    assert f"cannot open video file {junk}" in junk_check["detail"]
    assert f"correct cameras[0].url in {config}" in junk_check["fix"]
    refused_by = rtsp.removeprefix("rtsp://").removesuffix("/cam")  # nobody listens on that port
    assert f"cannot open stream {rtsp}: connection refused by {refused_by}" in rtsp_check["detail"]
    assert f"cameras[1].url (path, user, password) in {config}" in rtsp_check["fix"]
    assert f"gridwatch detect {rtsp} --max-frames 1" in rtsp_check["fix"]
    assert checks["mqtt broker"]["status"] == "ok"  # one broken part does not hide the others


@pytest.mark.slow
def test_an_unknown_token_fails_with_the_add_device_command(tmp_path: Path, broker: Mosquitto) -> None:
    centre = CentreApi(seed(tmp_path / "seed.db"), tmp_path)
    centre.start()
    try:
        placeholder = "REPLACE-WITH-THE-DEVICE-TOKEN"  # as in configs/edge.example.yaml
        config = edge_yaml(tmp_path, url=centre.url, token=placeholder, broker_port=broker.port)
        status, checks = doctor("--edge-config", str(config))
    finally:
        centre.stop()
    assert status == 1
    assert "does not know api.token (HTTP 401)" in checks["centre API"]["detail"]
    assert f"gridwatch api add-device {DEVICE}" in checks["centre API"]["fix"]


def test_human_output_is_a_table_with_each_fix(tmp_path: Path) -> None:
    env = {**os.environ, "GRIDWATCH_CACHE_DIR": str(tmp_path / "empty"), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "doctor"],
        capture_output=True, text=True, timeout=120, check=False, cwd=REPO, env=env,
    )  # fmt: skip
    assert result.returncode == 1
    row = next(line for line in result.stdout.splitlines() if f"model {DEFAULT_MODEL}" in line)
    assert "fail" in row
    assert f"gridwatch models pull {DEFAULT_MODEL}" in row
    assert "1 of 4 checks failed" in result.stdout
