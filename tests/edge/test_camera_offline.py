"""An RTSP camera whose server dies: offline noticed and raised, reconnect, cleared, detection resumes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edge.config import EdgeConfig
from edge.outbox import Outbox
from edge.worker import EdgeWorker
from gridwatch.contracts import AlertKind, AlertPhase
from tests.support.models import PERSON_CLIP, default_model
from tests.support.rtsp import RtspServer, RtspServerError

pytestmark = pytest.mark.slow
OFFLINE_AFTER_S = 3.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RtspServer]:
    rtsp = RtspServer(PERSON_CLIP, log=tmp_path / "rtsp.log")
    try:
        rtsp.start()
    except RtspServerError as exc:
        pytest.fail(str(exc))
    try:
        yield rtsp
    finally:
        rtsp.stop()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def offline_phases(path: Path) -> list[AlertPhase]:
    box = Outbox(path)
    try:
        return [p.alert.phase for p in box.pending(1000) if p.alert.kind is AlertKind.DEVICE_OFFLINE]
    finally:
        box.close()


def test_rtsp_server_killed_and_restarted(tmp_path: Path, server: RtspServer) -> None:
    default_model()
    config = EdgeConfig.model_validate(
        {
            "device_id": "edge-offline",
            "api": {"url": "http://127.0.0.1:9", "token": "nobody-listens-here", "timeout_s": 1},
            "data_dir": str(tmp_path / "edge"),
            "drain_timeout_s": 0.5,
            "http": {"port": 0},
            "cameras": [
                {
                    "id": "cam-rtsp", "url": server.url, "location": {"lon": 118.702, "lat": 32.002},
                    "open_timeout_s": 8, "read_timeout_s": 2, "offline_after_s": OFFLINE_AFTER_S,
                },
            ],
        }
    )  # fmt: skip
    worker = EdgeWorker(config)
    pipeline = worker.pipelines["cam-rtsp"]
    outbox = tmp_path / "edge" / "outbox.db"
    thread = threading.Thread(target=worker.run, kwargs={"once": False})
    thread.start()
    try:
        wait_until(lambda: pipeline.stats.detector_calls > 0, 60, "the first detection")
        server.stop()
        noticed = wait_until(lambda: offline_phases(outbox) == [AlertPhase.RAISED], 30, "device_offline")
        assert noticed <= OFFLINE_AFTER_S + 2 + 5  # the limit, one read timeout, polling and a busy box
        server.start()
        wait_until(
            lambda: offline_phases(outbox) == [AlertPhase.RAISED, AlertPhase.CLEARED], 60, "the recovery"
        )
        assert worker.sources["cam-rtsp"].health().reconnects >= 1
        calls = pipeline.stats.detector_calls
        wait_until(lambda: pipeline.stats.detector_calls > calls, 30, "detection to resume")
    finally:
        worker.stop()
        thread.join(60)
    assert not thread.is_alive()
