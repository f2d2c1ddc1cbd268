"""The clip sender against a real centre that goes away mid-upload: it resumes from the centre's
offset, so at most the chunk in flight is sent twice (a 40 MB clip on a poor link never restarts)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.clips.queue import ClipQueue, ClipRecord, ClipState
from edge.clips.sender import ClipSender
from edge.config import ApiConfig
from ingest.backoff import BackoffConfig
from tests.api.builders import make_alert
from tests.support.centre import DEVICE, CentreApi, Seeded, wait_for
from tests.support.clips import cut_clip

pytestmark = pytest.mark.slow
CHUNK = 64 * 1024


def test_an_upload_cut_by_an_outage_resumes_from_the_centre_offset(
    tmp_path: Path, centre: CentreApi, seeded: Seeded
) -> None:
    path, info = cut_clip(tmp_path, "resume-1", start_s=0.0, end_s=140.0)  # the whole clip, 3 MB
    centre.start()
    reply = httpx.post(
        f"{centre.url}/v1/alerts",
        json=make_alert("resume-1", device_id=DEVICE),
        headers={"Authorization": f"Bearer {seeded.device_token}"},
    )
    assert reply.status_code == 201, reply.text
    clips = ClipQueue(tmp_path / "outbox.db")
    clips.recording(
        "resume-1",
        source_id="cam-1",
        part=path.with_suffix(".part"),
        final=path,
        alert_t=5.0,
        observed_at=info.started_at,
        buffer="packets",
    )
    clips.ready("resume-1", info)
    api = ApiConfig(
        url=centre.url, token=seeded.device_token, timeout_s=5, backoff=BackoffConfig(initial_s=0.2, max_s=1)
    )
    sender = ClipSender(clips, api, chunk_bytes=CHUNK, keep_sent_s=3600)
    sender.start()
    try:
        wait_for(lambda: _row(clips).sent_bytes >= info.size // 3, "a third sent", 60)
        centre.stop()
        held = clips.get("resume-1")
        assert held is not None
        time.sleep(3)
        centre.start()
        wait_for(lambda: _row(clips).state is ClipState.SENT, "the clip sent", 120)
    finally:
        sender.stop()
        clips.close()
    print(
        f"{info.size} bytes in {CHUNK} byte chunks; cut after {held.sent_bytes}; "
        f"sent {sender.stats.bytes} bytes in all, {sender.stats.retried} retries"
    )
    assert 0 < held.sent_bytes < info.size
    assert sender.stats.retried >= 1
    assert sender.stats.bytes <= info.size + CHUNK  # at most the chunk in flight went twice
    detail = _detail(centre)
    assert detail["clip"]["sha256"] == info.sha256


def _detail(centre: CentreApi) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {centre.user_token}"}
    events = httpx.get(f"{centre.url}/v1/events", headers=headers).json()["items"]
    alerts = httpx.get(f"{centre.url}/v1/events/{events[0]['code']}", headers=headers).json()["alerts"]
    return dict(alerts[0])


def _row(clips: ClipQueue) -> ClipRecord:
    record = clips.get("resume-1")
    assert record is not None, "the clip row vanished"
    return record
