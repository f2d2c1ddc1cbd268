"""The supervisor with real threads; and a camera loop of the real worker that dies mid-file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.config import EdgeConfig
from edge.supervisor import Supervisor, ThreadState
from edge.worker import EdgeWorker
from ingest import Frame
from ingest.backoff import BackoffConfig
from tests.ingest.mqtt.broker import wait_until
from tests.support.models import PERSON_CLIP, default_model

QUICK = BackoffConfig(initial_s=0.05, max_s=0.05, jitter=0)
SLOW = BackoffConfig(initial_s=2, max_s=2, jitter=0)


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    instance = Supervisor(backoff=QUICK, check_s=0.02)
    instance.start()
    yield instance
    instance.stop()


class Flaky:
    """A loop body that raises on its first `failures` runs, then runs until told to stop."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs = 0
        self.stop = threading.Event()

    def __call__(self) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError(f"broken on run {self.runs}")
        self.stop.wait(30)


def test_a_thread_that_raises_is_restarted_and_counted(supervisor: Supervisor) -> None:
    flaky = Flaky(failures=2)
    supervisor.spawn("loop", flaky)
    assert wait_until(lambda: flaky.runs == 3, timeout=10)
    health = supervisor.health()["loop"]
    flaky.stop.set()
    assert (health.state, health.deaths, health.restarts) == (ThreadState.RUNNING, 2, 2)
    assert health.last_error == "RuntimeError: broken on run 2"


def test_a_dead_thread_is_named_down_until_its_restart() -> None:
    supervisor = Supervisor(backoff=SLOW, check_s=0.02)
    supervisor.start()
    flaky = Flaky(failures=1)
    try:
        supervisor.spawn("loop", flaky)
        assert wait_until(lambda: supervisor.down() == ["loop"], timeout=10)
        assert supervisor.active(["loop"])  # down, but coming back
        assert wait_until(lambda: flaky.runs == 2, timeout=10)
        assert supervisor.down() == []
    finally:
        flaky.stop.set()
        supervisor.stop()


def test_a_thread_that_returns_has_finished_and_is_not_restarted(supervisor: Supervisor) -> None:
    runs: list[int] = []
    supervisor.spawn("once", lambda: runs.append(1))
    assert wait_until(lambda: not supervisor.active(["once"]), timeout=10)
    assert supervisor.health()["once"].state is ThreadState.FINISHED
    assert (runs, supervisor.health()["once"].restarts) == ([1], 0)


def test_a_watched_thread_that_stops_is_restarted_by_its_owner(supervisor: Supervisor) -> None:
    alive = threading.Event()
    alive.set()
    restarts: list[int] = []

    def restart() -> None:
        restarts.append(1)
        if len(restarts) == 1:
            raise OSError("broker unreachable")  # a failed restart counts as another death
        alive.set()

    supervisor.watch("feed", alive=alive.is_set, restart=restart)
    alive.clear()
    assert wait_until(lambda: len(restarts) == 2 and supervisor.down() == [], timeout=10)
    health = supervisor.health()["feed"]
    assert (health.deaths, health.restarts) == (2, 2)
    assert health.last_error == "restart failed: OSError: broker unreachable"


def test_a_released_thread_is_not_restarted(supervisor: Supervisor) -> None:
    go, runs = threading.Event(), []

    def dies_when_told() -> None:
        runs.append(1)
        go.wait(30)
        raise RuntimeError("died while its owner was stopping it")

    supervisor.spawn("loop", dies_when_told)
    supervisor.release("loop")
    go.set()
    assert wait_until(lambda: not supervisor.active(["loop"]), timeout=10)
    assert (runs, supervisor.health()["loop"].deaths) == ([1], 1)


@pytest.mark.slow
def test_a_camera_loop_that_dies_mid_file_is_restarted_and_reads_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's iterator raises once after 10 frames (a bug stand-in); no frame may be lost."""
    default_model()
    config = EdgeConfig.model_validate(
        {
            "device_id": "edge-test",
            "api": {"url": "http://127.0.0.1:9", "token": "not-a-real-token", "timeout_s": 0.5},
            "data_dir": tmp_path / "edge",
            "drain_timeout_s": 0,
            "http": {"port": 0},
            "cameras": [{"id": "cam-room", "url": str(PERSON_CLIP), "detect_fps": 2,
                         "location": {"lon": 118.702, "lat": 32.002}}],
        }
    )  # fmt: skip
    worker = EdgeWorker(config, supervisor=Supervisor(backoff=QUICK))
    source = worker.sources["cam-room"]
    original = source.frames
    calls: list[int] = []

    def breaks_once() -> Iterator[Frame]:
        calls.append(1)
        for count, frame in enumerate(original(), start=1):
            yield frame
            if len(calls) == 1 and count == 10:
                raise RuntimeError("camera loop bug")

    monkeypatch.setattr(source, "frames", breaks_once)
    summary = worker.run(once=True)
    health = source.health()
    camera = worker.supervisor.health()["camera-cam-room"]
    assert (camera.state, camera.deaths, camera.restarts) == (ThreadState.FINISHED, 1, 1)
    assert camera.last_error == "RuntimeError: camera loop bug"
    assert summary.cameras["cam-room"].frames == health.frames_read - health.frames_skipped  # none lost
    assert summary.failed_sources == {}
