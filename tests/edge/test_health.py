"""The edge worker's /healthz and /metrics while it runs on a real clip."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from edge.config import EdgeConfig
from edge.worker import EdgeWorker, RunSummary
from tests.support.centre import free_port
from tests.support.models import CAR_CLIP, default_model


def worker_config(tmp_path: Path, url: str) -> EdgeConfig:
    return EdgeConfig.model_validate(
        {
            "device_id": "edge-health",
            "api": {"url": "http://127.0.0.1:9", "token": "not-a-real-token", "timeout_s": 1},
            "data_dir": str(tmp_path / "edge"),
            "drain_timeout_s": 0.5,
            "http": {"port": free_port()},
            "cameras": [
                {"id": "cam-lot", "url": url, "location": {"lon": 118.706, "lat": 32.002}, "realtime": True},
            ],
        }
    )


def wait_for(url: str, predicate: str, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if predicate in response.text:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never showed {predicate!r}")


def _scheduled_camera(base: str, camera: str, timeout: float = 30) -> dict[str, int]:
    """The camera's counters in the one model's scheduler, once it has completed a request."""
    deadline = time.monotonic() + timeout
    while True:
        (model,) = httpx.get(f"{base}/healthz", timeout=2).json()["scheduler"].values()  # one model
        counters: dict[str, int] = model["cameras"][camera]
        if counters["completed"] >= 1 or time.monotonic() > deadline:
            return counters
        time.sleep(0.1)


@pytest.mark.slow
def test_health_and_metrics_while_running(tmp_path: Path) -> None:
    default_model()
    config = worker_config(tmp_path, str(CAR_CLIP))
    worker = EdgeWorker(config)
    result: list[RunSummary] = []
    thread = threading.Thread(target=lambda: result.append(worker.run(once=True)))
    thread.start()
    try:
        base = f"http://127.0.0.1:{config.http.port}"
        health = wait_for(f"{base}/healthz", '"streaming"')
        assert health.status_code == 200
        body = health.json()
        assert body["cameras"]["cam-lot"]["state"] == "streaming"
        assert {name: t["state"] for name, t in body["threads"].items()} == {
            "publisher": "running",
            "camera-cam-lot": "running",
            "clip-finisher": "running",
            "clip-sender": "running",
            "heartbeat": "running",
        }
        assert (body["down"], body["outbox_parked"], body["parked"]) == ([], 0, [])
        metrics = wait_for(f"{base}/metrics", 'gridwatch_edge_frames_detected_total{camera="cam-lot"}').text
        names = ["frames_read_total", "frames_gated_total", "detector_seconds_bucket", "outbox_depth"]
        names += ["alerts_retried_total", 'source_state{camera="cam-lot",state="streaming"} 1.0']
        names += ['thread_up{thread="publisher"} 1.0', "outbox_parked 0.0", "alerts_parked_total"]
        names += ['scheduler_completed_total{camera="cam-lot"}', "scheduler_images_total"]
        names += ['scheduler_dropped_total{camera="cam-lot"} 0.0']
        names += ['scheduler_runs_total{model="yolov3-tiny-coco-0"}']
        for name in names:
            assert f"gridwatch_edge_{name}" in metrics
        camera = _scheduled_camera(base, "cam-lot")  # the runner counts a result after handing it over
        assert camera["completed"] >= 1
        assert camera["dropped"] == 0
        assert httpx.get(f"{base}/nothing", timeout=2).status_code == 404
    finally:
        worker.stop()
        thread.join(60)
    assert not thread.is_alive()
    assert result[0].delivered == 0  # nothing listens at the API address: alerts stay queued


def test_missing_clip_makes_health_degraded(tmp_path: Path) -> None:
    config = worker_config(tmp_path, str(tmp_path / "missing.mp4"))
    healthy, body = EdgeWorker(config).health()
    assert body["cameras"]["cam-lot"]["state"] in {"connecting", "failed"}
    assert not healthy
    assert body["status"] == "degraded"
