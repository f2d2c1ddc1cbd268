"""The clips in the worker's /metrics and /healthz: queue states, pre-roll memory, delivery counters."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from edge.clips import CameraSpec, EdgeClips
from edge.clips.metrics import ClipsCollector
from edge.config import ApiConfig, ClipsConfig
from ingest import VideoSource, VideoSourceConfig
from tests.support.models import PERSON_CLIP

pytestmark = pytest.mark.slow  # probes and reads the real person clip


def test_metrics_show_the_pre_roll_and_the_queue(tmp_path: Path) -> None:
    camera = CameraSpec("cam-room", str(PERSON_CLIP), detect_fps=5, open_timeout_s=5, read_timeout_s=5)
    clips = EdgeClips(
        ClipsConfig(),
        api=ApiConfig(url="http://127.0.0.1:9", token="t" * 16),
        data_dir=tmp_path,
        cameras=[camera],
    )
    recorder = clips.recorders["cam-room"]
    with VideoSource(VideoSourceConfig(id="cam-room", url=str(PERSON_CLIP), detect_fps=5)) as source:
        for frame in source.frames():
            recorder.on_frame(frame, frozenset())
            if frame.pts >= 8:
                break
    registry = CollectorRegistry()
    registry.register(ClipsCollector(clips))
    text = generate_latest(registry).decode()
    assert recorder.buffer == "packets"  # auto: the clip is H.264
    held = float(recorder.buffered_bytes)
    assert f'gridwatch_edge_clip_buffer_bytes{{camera="cam-room",kind="packets"}} {held}' in text
    assert recorder.buffered_bytes > 0
    assert 'gridwatch_edge_clips{state="ready"} 0.0' in text
    assert "gridwatch_edge_clips_sent_total 0.0" in text
    assert clips.health()["buffers"]["cam-room"] == {"kind": "packets", "bytes": recorder.buffered_bytes}
    recorder.close(truncated=False)
    clips.queue.close()
