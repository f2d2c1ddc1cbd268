"""Nothing lost, nothing twice: the edge worker and the API as real processes, one of them failing.

Each test prints the counts it compares: alerts the edge produced (rows of its outbox) against
alerts the centre holds (through `GET /v1/events`).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.support.centre import REPO, CentreApi, Seeded, wait_for
from tests.support.models import PERSON_CLIP, default_model

pytestmark = pytest.mark.slow
PEOPLE = 6  # see tests/edge/test_pipeline.py: six people walk in, each leaves across the exit line


def edge_config(tmp_path: Path, centre: CentreApi, seeded: Seeded) -> Path:
    config = {
        "device_id": "edge-test",
        "api": {"url": centre.url, "token": seeded.device_token, "timeout_s": 5, "backoff": {"max_s": 2}},
        "data_dir": str(tmp_path / "edge"),
        "drain_timeout_s": 240,
        "http": {"port": 0},
        "cameras": [
            {
                "id": "cam-room", "url": str(PERSON_CLIP), "location": {"lon": 118.702, "lat": 32.002},
                "rules": {
                    "zones": [{"name": "room", "points": [[0, 0], [768, 0], [768, 432], [0, 432]]}],
                    "lines": [{"name": "exit", "start": [620, 150], "end": [620, 431]}],
                    "rules": [
                        {"type": "intrusion", "id": "room", "zone": "room", "min_frames": 3},
                        {"type": "line_crossing", "id": "exit", "line": "exit", "classes": ["person"]},
                    ],
                },
            }
        ],
    }  # fmt: skip
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def start_edge(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        command = [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(config), "--once"]
        return subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def outbox_rows(tmp_path: Path) -> list[tuple[int, str, float | None]]:
    with sqlite3.connect(tmp_path / "edge" / "outbox.db") as db:
        return list(db.execute("SELECT seq, alert_id, delivered_at FROM outbox ORDER BY seq"))


def finish(process: subprocess.Popen[bytes], log: Path) -> None:
    try:
        code = process.wait(timeout=420)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
        pytest.fail(f"edge worker did not finish:\n{log.read_text()[-3000:]}")
    assert code == 0, log.read_text()[-3000:]


def compare(tmp_path: Path, centre: CentreApi) -> None:
    rows = outbox_rows(tmp_path)
    at_centre = centre.alert_ids()
    distinct = len(set(at_centre))
    print(f"edge produced {len(rows)} alerts; the centre holds {len(at_centre)} ({distinct} distinct)")
    assert len(at_centre) == len(set(at_centre))  # none twice
    assert sorted(at_centre) == sorted(alert_id for _, alert_id, _ in rows)  # every one arrived
    assert len(rows) == 2 * PEOPLE
    delivered = [at for _, _, at in rows if at is not None]
    assert len(delivered) == len(rows)
    assert delivered == sorted(delivered)  # sent in the order they were produced (one camera)


def test_api_stopped_for_60_s_mid_run(tmp_path: Path, centre: CentreApi, seeded: Seeded) -> None:
    default_model()
    centre.start()
    log = tmp_path / "edge.log"
    edge = start_edge(edge_config(tmp_path, centre, seeded), log)
    try:
        wait_for(lambda: centre.alert_total() >= 1, "the first alert at the centre", timeout_s=180)
        centre.stop()
        down_since = time.monotonic()
        time.sleep(60)
        produced_while_down = len(outbox_rows(tmp_path))
        centre.start()
        print(
            f"API down for {time.monotonic() - down_since:.0f} s; {produced_while_down} alerts queued by then"
        )
        finish(edge, log)
    finally:
        if edge.poll() is None:
            edge.kill()
            edge.wait(timeout=30)
    compare(tmp_path, centre)


def test_edge_killed_with_sigkill_and_restarted(tmp_path: Path, centre: CentreApi, seeded: Seeded) -> None:
    default_model()
    centre.start()
    config, log = edge_config(tmp_path, centre, seeded), tmp_path / "edge.log"
    first = start_edge(config, log)
    try:
        wait_for(lambda: centre.alert_total() >= 2, "two alerts at the centre", timeout_s=180)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        print(f"killed the edge worker with {len(outbox_rows(tmp_path))} alerts in its outbox")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
    second = start_edge(config, log)
    try:
        finish(second, log)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(timeout=30)
    compare(tmp_path, centre)
