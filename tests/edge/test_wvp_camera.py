"""A camera of a GB/T 28181 platform, end to end: imported from a wvp-shaped server, played by the edge
worker (a real process) from the real RTSP server, dropped, played again through wvp, and its 20-digit
GB id intact in the edge config, the alert and the grid event at the centre (a real API process)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import PERSON_CLIP, clip
from tests.edge.test_camera_outage import device_events
from tests.support.centre import REPO, CentreApi, Seeded, free_port, wait_for
from tests.support.models import default_model
from tests.support.rtsp import RtspServer
from tests.support.wvp import CAMERA, PASSWORD, PLATFORM, USER, FakeWvp, channel

pytestmark = pytest.mark.slow
OFFLINE_AFTER_S = 3


def frames_read(metrics_url: str) -> float:
    """Frames the worker read from the wvp camera, from its /metrics (0 while it is not up)."""
    try:
        text = httpx.get(metrics_url, timeout=2).text
    except httpx.HTTPError:
        return 0.0
    prefix = f'gridwatch_edge_frames_read_total{{camera="{CAMERA}"}} '
    return next((float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)), 0.0)


def import_camera(wvp: FakeWvp, config: Path) -> None:
    """`gridwatch cameras import-wvp` as a user runs it, then the user's tuning of the imported camera."""
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "cameras", "import-wvp", wvp.url, "--user", USER,
         "--password-stdin", "--config", str(config)],
        input=PASSWORD, capture_output=True, text=True, timeout=120, check=False, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    raw: dict[str, Any] = yaml.safe_load(config.read_text("utf-8"))
    (entry,) = raw["cameras"]
    assert entry["id"] == CAMERA
    entry.update(open_timeout_s=8, read_timeout_s=2, offline_after_s=OFFLINE_AFTER_S)
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")


def test_a_wvp_camera_is_played_dropped_and_played_again_with_its_gb_id_at_the_centre(
    tmp_path: Path, centre: CentreApi, seeded: Seeded, fake_wvp: FakeWvp, rtsp_server: RtspServer
) -> None:
    default_model()
    centre.start()
    fake_wvp.add_device(PLATFORM, channels=[channel(CAMERA, "东门口枪机", lon=118.702, lat=32.002)])
    fake_wvp.set_stream(CAMERA, rtsp_server.url)
    port = free_port()
    config = tmp_path / "edge.yaml"
    config.write_text(yaml.safe_dump({
        "device_id": "edge-test", "data_dir": str(tmp_path / "edge"), "drain_timeout_s": 60,
        "api": {"url": centre.url, "token": seeded.device_token, "timeout_s": 5, "backoff": {"max_s": 2}},
        "http": {"port": port}, "cameras": [],
    }), "utf-8")  # fmt: skip
    import_camera(fake_wvp, config)
    log = tmp_path / "edge.log"
    env = {**os.environ, "GRIDWATCH_WVP_PASSWORD": PASSWORD}
    with log.open("ab") as out:
        edge = subprocess.Popen(
            [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(config)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    metrics = f"http://127.0.0.1:{port}/metrics"
    replayed = RtspServer(clip(PERSON_CLIP), log=tmp_path / "replayed.log", path="/rtp/replayed")
    try:
        wait_for(lambda: frames_read(metrics) > 0, "frames of the wvp camera", timeout_s=120)
        assert fake_wvp.state.plays[CAMERA] == 1
        rtsp_server.stop()  # the stream drops; its URL serves nothing any more
        wait_for(lambda: len(device_events(centre)) == 1, "device_offline at the centre", timeout_s=60)
        replayed.start()
        fake_wvp.set_stream(CAMERA, replayed.url)  # played again, ZLMediaKit serves it at a new URL
        before = frames_read(metrics)
        wait_for(lambda: frames_read(metrics) > before + 10, "frames flowing again", timeout_s=90)
        wait_for(
            lambda: device_events(centre)[0]["alert_count"] == 2, "the clear at the centre", timeout_s=60
        )
        edge.send_signal(signal.SIGTERM)
        code = edge.wait(timeout=90)
    finally:
        replayed.stop()
        if edge.poll() is None:
            edge.kill()
            edge.wait(timeout=30)
    assert code == 0, log.read_text()[-3000:]
    assert fake_wvp.state.plays[CAMERA] >= 2  # the worker asked wvp again after the drop
    headers = {"Authorization": f"Bearer {centre.user_token}"}
    detail = httpx.get(
        f"{centre.url}/v1/events/{device_events(centre)[0]['code']}", headers=headers, timeout=10
    )
    alerts = detail.json()["alerts"]
    assert [a["source_id"] for a in alerts] == [CAMERA, CAMERA]  # all 20 digits, as text, at the centre
    assert all(a["device_id"] == "edge-test" and a["alert_id"].startswith(CAMERA) for a in alerts)
    assert alerts[0]["payload"]["details"]["last_error"]  # why it went offline travels with the alert
    text = log.read_text()
    assert PASSWORD not in text
    assert hashlib.md5(PASSWORD.encode()).hexdigest() not in text  # wvp takes the md5 as the password
