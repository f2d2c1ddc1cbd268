"""Replaying a video file: `gridwatch edge run --once` as real processes against a real central API.

Issue 11 case 6 (replay): alert ids of a file source were deterministic but their observed times
were the wall clock, so replaying the file with a fresh outbox sent old ids with new times; the
centre refused them (409) for ever and the run exited 1. Now a file's observed times are its time
base (kept in the outbox) plus each frame's pts, and the base is part of the ids.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from gridwatch.contracts import Alert
from tests.support.centre import REPO, CentreApi, Seeded
from tests.support.models import PERSON_CLIP, default_model

pytestmark = pytest.mark.slow


def write_config(folder: Path, data_dir: str, centre: CentreApi, seeded: Seeded) -> Path:
    config = {
        "device_id": "edge-test",
        "api": {"url": centre.url, "token": seeded.device_token, "timeout_s": 5, "backoff": {"max_s": 1}},
        "data_dir": data_dir,
        "drain_timeout_s": 20,
        "http": {"port": 0},
        "cameras": [{
            "id": "cam-room", "url": str(PERSON_CLIP), "location": {"lon": 118.702, "lat": 32.002},
            "detect_fps": 2,
            "rules": {
                "zones": [{"name": "room", "points": [[0, 0], [768, 0], [768, 432], [0, 432]]}],
                "rules": [{"type": "intrusion", "id": "room", "zone": "room", "min_frames": 2}],
            },
        }],
    }  # fmt: skip
    path = folder / f"{data_dir}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_once(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(config), "--once"],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
    )  # fmt: skip


def alerts(outbox: Path) -> list[Alert]:
    with sqlite3.connect(outbox) as db:
        return [
            Alert.model_validate_json(body) for (body,) in db.execute("SELECT body FROM outbox ORDER BY seq")
        ]


def bases(found: list[Alert]) -> set[datetime]:
    """Observed time minus the frame's pts: one time base per file and outbox."""
    return {a.observed_at - timedelta(seconds=float(a.details["pts"])) for a in found}


def test_a_replay_is_recognised_and_a_fresh_outbox_makes_new_alerts(
    tmp_path: Path, centre: CentreApi, seeded: Seeded
) -> None:
    default_model()
    centre.start()
    first_outbox = tmp_path / "edge-a" / "outbox.db"
    config_a = write_config(tmp_path, "edge-a", centre, seeded)

    first = run_once(config_a)
    assert first.returncode == 0, first.stderr[-3000:]
    produced = alerts(first_outbox)
    assert len(produced) >= 3
    assert len(bases(produced)) == 1  # ids and times agree: one base, plus each frame's pts
    assert sorted(centre.alert_ids()) == sorted(a.alert_id for a in produced)

    again = run_once(config_a)  # restarted with the same outbox: the very same alerts, deduplicated
    assert again.returncode == 0, again.stderr[-3000:]
    assert alerts(first_outbox) == produced

    with sqlite3.connect(first_outbox) as db:  # as after keep_delivered_s: the outbox forgot them
        db.execute("DELETE FROM outbox")
    forgotten = run_once(config_a)
    assert forgotten.returncode == 0, forgotten.stderr[-3000:]
    assert alerts(first_outbox) == produced  # same ids, same times, same evidence
    assert centre.posted().get("replay", 0) == len(produced)  # the centre saw repeats, not conflicts

    fresh = run_once(write_config(tmp_path, "edge-b", centre, seeded))  # a fresh outbox: new alerts
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    renewed = alerts(tmp_path / "edge-b" / "outbox.db")
    assert len(renewed) == len(produced)
    assert not {a.alert_id for a in renewed} & {a.alert_id for a in produced}
    assert min(bases(renewed)) > max(bases(produced))
    assert sorted(centre.alert_ids()) == sorted(a.alert_id for a in produced + renewed)
