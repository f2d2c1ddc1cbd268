"""The edge worker behind its camera: newest frame wins for a replayed camera, a file loses nothing.

Issue 20: when a camera's loop is slower than its source, a realtime (or live) source hands it only the
newest kept frame and counts the stale ones it dropped (/healthz, /metrics), so frame → outbox latency
stays about one frame interval plus the processing; a file read with realtime off (`--once` batch
work) keeps every frame. The loop is made slower than the source structurally: before processing a
frame it waits until the reader has kept more frames (the real pipeline then runs on the frame).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.config import EdgeConfig
from edge.worker import EdgeWorker, RunSummary
from gridwatch.contracts import Alert
from ingest import Frame, VideoSource, VideoSourceConfig
from ingest.state import SourceHealth
from tests.support.centre import free_port
from tests.support.models import CAR_CLIP, default_model

pytestmark = pytest.mark.slow

CAMERA = "cam-lot"
BEHIND = 5
"""Kept frames the reader gets ahead of the camera loop before each frame of the realtime test."""
ROUNDS = 4
WAIT_S = 60.0


def worker_config(tmp_path: Path, *, realtime: bool, http: bool) -> EdgeConfig:
    return EdgeConfig.model_validate({
        "device_id": "edge-handoff",
        "api": {"url": "http://127.0.0.1:9", "token": "not-a-real-token", "timeout_s": 1},
        "data_dir": str(tmp_path / "edge"), "drain_timeout_s": 0.5, "heartbeat_s": 0,
        "http": {"port": free_port() if http else 0},
        "cameras": [{
            "id": CAMERA, "url": str(CAR_CLIP), "location": {"lon": 118.706, "lat": 32.002},
            "detect_fps": 5, "realtime": realtime,
        }],
    })  # fmt: skip


def kept(health: SourceHealth) -> int:
    """Frames the reader grabbed and did not skip (one of them may still be on its way)."""
    return health.frames_read - health.frames_skipped


def wait(condition: Callable[[], bool]) -> bool:
    """Poll until `condition()` holds; False after WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def kept_order() -> dict[int, int]:
    """Frame index → its place among the kept frames of the clip at 5 detect-fps."""
    with VideoSource(VideoSourceConfig(id=CAMERA, url=str(CAR_CLIP), detect_fps=5)) as source:
        return {frame.index: ordinal for ordinal, frame in enumerate(source.frames())}


def slow_down(worker: EdgeWorker, ahead_of: Callable[[int, int], int]) -> list[tuple[int, int, bool]]:
    """Make the camera loop wait, before each frame, until the reader has kept `ahead_of(n, kept now)`
    frames (n: frames the loop got so far); returns (frame index, kept when the loop got it, waited)."""
    source, pipeline = worker.sources[CAMERA], worker.pipelines[CAMERA]
    process = pipeline.process
    seen: list[tuple[int, int, bool]] = []

    def behind(frame: Frame) -> list[Alert]:
        now = kept(source.health())
        target = ahead_of(len(seen) + 1, now)
        wait(lambda: kept(source.health()) >= target or source.state.is_final)  # not past the stop
        seen.append((frame.index, now, kept(source.health()) >= target))
        return process(frame)

    pipeline.process = behind  # type: ignore[method-assign]
    return seen


def counter(metrics: str, name: str) -> float:
    line = next(
        x for x in metrics.splitlines() if x.startswith(f'gridwatch_edge_{name}{{camera="{CAMERA}"}}')
    )
    return float(line.rsplit(" ", 1)[1])


def test_a_realtime_camera_behind_its_source_processes_the_newest_frame(tmp_path: Path) -> None:
    default_model()
    order = kept_order()
    config = worker_config(tmp_path, realtime=True, http=True)
    worker = EdgeWorker(config)
    seen = slow_down(worker, lambda _n, now: now + BEHIND)
    result: list[RunSummary] = []
    thread = threading.Thread(target=lambda: result.append(worker.run(once=True)))
    thread.start()
    try:
        assert wait(lambda: len(seen) > ROUNDS), f"the camera processed {len(seen)} frames"
        base = f"http://127.0.0.1:{config.http.port}"
        health: dict[str, Any] = httpx.get(f"{base}/healthz", timeout=5).json()
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
    finally:
        worker.stop()
        thread.join(60)
    assert not thread.is_alive()
    source = worker.sources[CAMERA].health()
    processed = result[0].cameras[CAMERA].frames
    for index, ahead, waited in seen[1 : ROUNDS + 1]:
        assert waited
        # the newest kept frame when the loop took it (the reader may be pacing the next one)
        assert order[index] >= ahead - 2, (index, order[index], ahead)
    # every kept frame was processed or dropped (one may be waiting or on its way at the stop)
    assert processed + source.frames_dropped <= kept(source) <= processed + source.frames_dropped + 2
    assert source.frames_dropped >= ROUNDS * (BEHIND - 2)
    assert health["cameras"][CAMERA]["frames_dropped"] >= (ROUNDS - 1) * (BEHIND - 2)
    assert counter(metrics, "frames_dropped_total") >= (ROUNDS - 1) * (BEHIND - 2)
    assert result[0].cameras[CAMERA].dropped == 0  # the scheduler dropped nothing: the source did


def test_a_file_without_realtime_loses_no_frame_behind_a_slow_camera(tmp_path: Path) -> None:
    default_model()
    total = len(kept_order())
    worker = EdgeWorker(worker_config(tmp_path, realtime=False, http=False))
    queue = worker.sources[CAMERA].config.queue_size
    seen = slow_down(worker, lambda n, _now: min(n + queue, total))  # the reader fills the queue first
    summary = worker.run(once=True)
    health = worker.sources[CAMERA].health()
    assert all(waited for _, _, waited in seen)
    assert [index for index, _, _ in seen] == sorted(kept_order())
    assert (summary.cameras[CAMERA].frames, health.frames_dropped, kept(health)) == (total, 0, total)
