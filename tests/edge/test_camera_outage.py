"""An RTSP camera's server killed and restarted, the edge worker and the API as real processes.

The worker notices the outage within the configured limit, reconnects, the centre gets a
`device_offline` alert and then its clear, detection resumes; SIGTERM then drains and exits.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.centre import REPO, CentreApi, Seeded, free_port, wait_for
from tests.support.models import default_model
from tests.support.rtsp import RtspServer

pytestmark = pytest.mark.slow
OFFLINE_AFTER_S = 3


def device_events(centre: CentreApi) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {centre.user_token}"}
    page = httpx.get(f"{centre.url}/v1/events", params={"limit": 100}, headers=headers, timeout=10)
    page.raise_for_status()
    return [e for e in page.json()["items"] if e["type_code"] == "DEVICE"]


def frames_detected(metrics_url: str) -> float:
    try:
        text = httpx.get(metrics_url, timeout=2).text
    except httpx.HTTPError:
        return 0.0
    found = re.search(
        r'^gridwatch_edge_frames_detected_total\{camera="cam-rtsp"\} (\S+)$', text, re.MULTILINE
    )
    return float(found.group(1)) if found else 0.0


def test_camera_outage_is_reported_and_recovered(
    tmp_path: Path, centre: CentreApi, seeded: Seeded, rtsp_server: RtspServer
) -> None:
    default_model()
    centre.start()
    port = free_port()
    config = {
        "device_id": "edge-test",
        "api": {"url": centre.url, "token": seeded.device_token, "timeout_s": 5, "backoff": {"max_s": 2}},
        "data_dir": str(tmp_path / "edge"), "drain_timeout_s": 60, "http": {"port": port},
        "cameras": [{
            "id": "cam-rtsp", "url": rtsp_server.url, "location": {"lon": 118.702, "lat": 32.002},
            "open_timeout_s": 8, "read_timeout_s": 2, "offline_after_s": OFFLINE_AFTER_S,
        }],
    }  # fmt: skip
    (tmp_path / "edge.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    log = tmp_path / "edge.log"
    with log.open("ab") as out:
        edge = subprocess.Popen(
            [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(tmp_path / "edge.yaml")],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    metrics = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_for(lambda: frames_detected(metrics) > 0, "the first detection", timeout_s=120)
        time.sleep(OFFLINE_AFTER_S + 1)
        assert device_events(centre) == []  # a camera that streams is not reported
        rtsp_server.stop()
        killed = time.monotonic()
        wait_for(lambda: len(device_events(centre)) == 1, "device_offline at the centre", timeout_s=60)
        assert device_events(centre)[0]["alert_count"] == 1
        noticed = time.monotonic() - killed
        rtsp_server.start()
        wait_for(lambda: device_events(centre)[0]["alert_count"] == 2, "the recovery (clear)", timeout_s=90)
        before = frames_detected(metrics)
        wait_for(lambda: frames_detected(metrics) > before, "detection to resume", timeout_s=60)
        print(f"outage noticed at the centre {noticed:.1f} s after the kill (limit {OFFLINE_AFTER_S} s)")
        edge.send_signal(signal.SIGTERM)
        code = edge.wait(timeout=90)
    finally:
        if edge.poll() is None:
            edge.kill()
            edge.wait(timeout=30)
    assert code == 0, log.read_text()[-3000:]
    assert "SIGTERM" in log.read_text()
    with sqlite3.connect(tmp_path / "edge" / "outbox.db") as db:
        (pending,) = db.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").fetchone()
        kinds = [row[0] for row in db.execute("SELECT body FROM outbox ORDER BY seq")]
    assert pending == 0  # SIGTERM drained the outbox before exiting
    assert sum('"device_offline"' in body for body in kinds) == 2
