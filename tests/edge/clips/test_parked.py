"""A clip the centre keeps refusing is parked, listed by `gridwatch edge outbox clips` with the centre's
reason, and sent again by `gridwatch edge outbox clips-retry` once the centre takes it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from edge.clips.queue import ClipQueue, ClipState
from edge.clips.sender import ClipSender
from edge.config import ApiConfig
from ingest.backoff import BackoffConfig
from tests.api.builders import make_alert
from tests.edge.test_outbox_cli import outbox_cli
from tests.support.centre import DEVICE, CentreApi, Seeded, wait_for
from tests.support.clips import cut_clip

pytestmark = pytest.mark.slow


def test_a_refused_clip_is_parked_listed_and_retried(tmp_path: Path, seeded: Seeded) -> None:
    path, info = cut_clip(tmp_path, "big-1", start_s=0.0, end_s=30.0)
    (tmp_path / "small").mkdir()
    small = CentreApi(seeded, tmp_path / "small", env={"GRIDWATCH_API_CLIP_MAX_BYTES": str(info.size // 2)})
    small.start()
    try:
        reply = httpx.post(
            f"{small.url}/v1/alerts",
            json=make_alert("big-1", device_id=DEVICE),
            headers={"Authorization": f"Bearer {seeded.device_token}"},
        )
        assert reply.status_code == 201, reply.text
        data_dir = tmp_path / "edge"
        clips = ClipQueue(data_dir / "outbox.db")
        clips.recording(
            "big-1",
            source_id="cam-1",
            part=path.with_suffix(".part"),
            final=path,
            alert_t=5.0,
            observed_at=info.started_at,
            buffer="packets",
        )
        clips.ready("big-1", info)
        api = ApiConfig(
            url=small.url,
            token=seeded.device_token,
            timeout_s=5,
            backoff=BackoffConfig(initial_s=0.1, max_s=0.3),
        )
        sender = ClipSender(clips, api, chunk_bytes=1 << 20, keep_sent_s=3600)
        sender.start()
        try:
            wait_for(lambda: clips.get("big-1").state is ClipState.PARKED, "the clip parked", 60)  # type: ignore[union-attr]
        finally:
            sender.stop()
    finally:
        small.stop()
    config = tmp_path / "edge.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "device_id": DEVICE,
                "api": {"url": small.url, "token": seeded.device_token},
                "data_dir": "edge",
                "cameras": [{"id": "cam-1", "url": "clip.mp4", "location": {"lon": 118.702, "lat": 32.002}}],
            }
        ),
        encoding="utf-8",
    )
    listed = outbox_cli(config, "clips", "--json")
    assert listed.returncode == 0, listed.stderr
    row = json.loads(listed.stdout.splitlines()[0])
    assert (row["alert_id"], row["state"], row["size"]) == ("big-1", "parked", info.size)
    assert "HTTP 413" in row["reason"]
    assert outbox_cli(config, "clips-retry", "nope").returncode == 2
    retried = outbox_cli(config, "clips-retry", "big-1")
    assert retried.returncode == 0, retried.stderr
    assert clips.get("big-1").state is ClipState.READY  # type: ignore[union-attr]
    clips.close()
