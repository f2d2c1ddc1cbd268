"""Clips reach the centre through outages and a SIGKILL: the edge worker and the API as real processes.

The edge reads the person clip once (12 alerts, see tests/edge/test_reliability.py); every alert the
centre holds must have its clip, with the sha256 the edge computed, downloadable whole.
"""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.edge.test_reliability import edge_config, finish, outbox_rows, start_edge
from tests.support.centre import CentreApi, Seeded, wait_for
from tests.support.models import default_model

pytestmark = pytest.mark.slow


def clip_rows(tmp_path: Path) -> list[tuple[str, str, str | None]]:
    """(alert id, state, ClipInfo JSON) of every clip in the edge's queue."""
    return [(alert_id, state, info) for alert_id, state, info, _ in _rows(tmp_path)]


def recording_now(tmp_path: Path) -> list[str]:
    """Alerts whose clip file is being written (the job opened and wrote its pre-roll)."""
    return [alert_id for alert_id, state, _, first_t in _rows(tmp_path) if state == "recording" and first_t]


def _rows(tmp_path: Path) -> list[tuple[str, str, str | None, float | None]]:
    path = tmp_path / "edge" / "outbox.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            return list(db.execute("SELECT alert_id, state, info, first_t FROM clips ORDER BY queued_at"))
        except sqlite3.OperationalError:  # the table is not there yet
            return []


def centre_clips(centre: CentreApi) -> dict[str, dict[str, Any]]:
    """Alert id → clip of every alert at the centre (None when it has no clip)."""
    headers = {"Authorization": f"Bearer {centre.user_token}"}
    found: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=centre.url, headers=headers, timeout=10) as client:
        for event in client.get("/v1/events", params={"limit": 500}).json()["items"]:
            for alert in client.get(f"/v1/events/{event['code']}").json()["alerts"]:
                found[alert["alert_id"]] = alert["clip"]
    return found


def check_every_alert_has_its_clip(tmp_path: Path, centre: CentreApi) -> dict[str, dict[str, Any]]:
    alerts = sorted(alert_id for _, alert_id, _ in outbox_rows(tmp_path))
    wait_for(lambda: all(centre_clips(centre).values()), "every clip at the centre", timeout_s=120)
    clips = centre_clips(centre)
    assert sorted(clips) == alerts
    headers = {"Authorization": f"Bearer {centre.user_token}"}
    for clip in clips.values():
        body = httpx.get(f"{centre.url}{clip['url']}", headers=headers, timeout=30).content
        assert hashlib.sha256(body).hexdigest() == clip["sha256"]
    print(
        f"{len(alerts)} alerts, {len(clips)} clips at the centre, "
        f"{sum(c['size'] for c in clips.values())} bytes"
    )
    return clips


def test_clips_arrive_after_the_api_was_down_for_30_s(
    tmp_path: Path, centre: CentreApi, seeded: Seeded
) -> None:
    default_model()
    centre.start()
    log = tmp_path / "edge.log"
    edge = start_edge(edge_config(tmp_path, centre, seeded), log)
    try:
        wait_for(lambda: centre.alert_total() >= 1, "the first alert at the centre", timeout_s=180)
        centre.stop()
        time.sleep(30)
        waiting = [row for row in clip_rows(tmp_path) if row[1] in ("recording", "ready")]
        print(f"API down for 30 s; {len(waiting)} clips recording or waiting by then")
        assert waiting  # clips were made while the centre was away
        centre.start()
        finish(edge, log)
    finally:
        if edge.poll() is None:
            edge.kill()
            edge.wait(timeout=30)
    clips = check_every_alert_has_its_clip(tmp_path, centre)
    edge_hashes = {alert_id: info for alert_id, _, info in clip_rows(tmp_path)}
    assert all(clip["sha256"] in (edge_hashes[a] or "") for a, clip in clips.items())


def test_sigkill_between_alert_and_clip_loses_neither(
    tmp_path: Path, centre: CentreApi, seeded: Seeded
) -> None:
    default_model()
    centre.start()
    config, log = edge_config(tmp_path, centre, seeded), tmp_path / "edge.log"
    first = start_edge(config, log)
    try:
        wait_for(lambda: bool(recording_now(tmp_path)), "an alert whose clip is recording", timeout_s=180)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
    killed = recording_now(tmp_path)
    queued = {alert_id for _, alert_id, _ in outbox_rows(tmp_path)}
    print(f"killed with {len(queued)} alerts in the outbox and the clips of {killed} recording")
    assert set(killed) <= queued  # the alert was durable before its clip started
    second = start_edge(config, log)
    try:
        finish(second, log)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(timeout=30)
    clips = check_every_alert_has_its_clip(tmp_path, centre)
    for alert_id in killed:
        print(
            f"clip of {alert_id} after the kill: {clips[alert_id]['duration_s']} s, "
            f"truncated={clips[alert_id]['truncated']}"
        )
        # what the .part held (truncated), or, when the kill came before its first fragment was on
        # disk, a new recording of the replayed file; either way the clip is there
        assert clips[alert_id]["duration_s"] > 0
