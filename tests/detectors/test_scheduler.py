"""The inference scheduler on the real default model: batches across cameras, newest wins, fair turns.

Counts and ordering only, never timings: requests submitted before the runners start show exactly
what a batch and a bounded slot hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from numpy.typing import NDArray

from detectors import Detector, DetectorConfig
from detectors.config import SchedulerConfig
from detectors.detector import Prepared
from detectors.scheduler import DetectorLane, FrameDroppedError, InferenceScheduler
from detectors.tiles import Tile
from tests.support.models import CAR_CLIP, PERSON_CLIP, default_model, read_frame


@pytest.fixture(scope="module")
def detector() -> Detector:
    default_model()
    return Detector.from_config(DetectorConfig())


@pytest.fixture(scope="module")
def frames() -> list[NDArray[np.uint8]]:
    return [read_frame(PERSON_CLIP, 300), read_frame(CAR_CLIP, 200), read_frame(PERSON_CLIP, 640)]


MakeScheduler = Callable[[SchedulerConfig], InferenceScheduler]


@pytest.fixture
def make_scheduler(detector: Detector) -> Iterator[MakeScheduler]:
    """A scheduler on the real model's session (not started); every one is closed in teardown."""
    made: list[InferenceScheduler] = []

    def make(config: SchedulerConfig) -> InferenceScheduler:
        made.append(InferenceScheduler(detector.session, config))
        return made[-1]

    yield make
    for scheduler in made:
        scheduler.close()


def prepared(detector: Detector, image: NDArray[np.uint8], *, square: bool = False) -> Prepared:
    ready = detector.prepare([image], square=square)
    assert ready is not None
    return ready


def test_requests_of_several_cameras_share_one_run_with_the_same_results(
    detector: Detector, frames: list[NDArray[np.uint8]], make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler(SchedulerConfig(max_batch=8))
    inputs = [prepared(detector, image) for image in frames]
    tile = prepared(detector, frames[0][:200, :200], square=True)  # another input shape
    futures = [scheduler.submit(f"cam-{k}", p.tensor) for k, p in enumerate(inputs)]
    tile_future = scheduler.submit("cam-0", tile.tensor)
    scheduler.start()
    results = [future.result() for future in futures]
    assert [r.offset for r in results] == [0, 1, 2]
    assert {r.batch_images for r in results} == {3}
    assert tile_future.result().batch_images == 1
    assert (scheduler.stats.runs, scheduler.stats.images) == (2, 4)
    for ready, image, result in zip(inputs, frames, results, strict=True):
        alone = detector.detect(image)
        batched = detector.decode(ready, result.outputs, result.offset)[0]
        np.testing.assert_array_equal(batched.xyxy, alone.xyxy)
        np.testing.assert_array_equal(batched.class_id, alone.class_id)
        assert len(alone) > 0


def test_max_batch_splits_a_round(
    detector: Detector, frames: list[NDArray[np.uint8]], make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler(SchedulerConfig(max_batch=2))
    futures = [
        scheduler.submit(f"cam-{k}", prepared(detector, image).tensor) for k, image in enumerate(frames)
    ]
    scheduler.start()
    assert [f.result().batch_images for f in futures] == [2, 2, 1]
    assert scheduler.stats.runs == 2


def test_a_flooding_camera_keeps_one_request_and_counts_its_drops(
    detector: Detector, frames: list[NDArray[np.uint8]], make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler(SchedulerConfig(slot=1))
    tensor = prepared(detector, frames[0]).tensor
    futures = [scheduler.submit("flood", tensor) for _ in range(50)]
    assert scheduler.waiting() == 1  # bounded: the newest request only
    assert scheduler.lane("flood").dropped == 49
    with pytest.raises(FrameDroppedError, match="newer frame"):
        futures[0].result()
    scheduler.start()
    assert futures[-1].result().batch_images == 1  # the newest one ran
    lane = scheduler.lane("flood")
    assert (lane.submitted, lane.completed, lane.dropped) == (50, 1, 49)


def test_with_one_camera_flooding_another_gets_every_frame_in_fair_turns(
    detector: Detector, frames: list[NDArray[np.uint8]], make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler(SchedulerConfig(max_batch=1, max_concurrent=1, batch_wait_ms=0)).start()
    flood_tensor, steady_tensor = prepared(detector, frames[0]).tensor, prepared(detector, frames[1]).tensor
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            scheduler.submit("flood", flood_tensor)

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    flood_runs_between = []
    try:
        before = scheduler.lane("flood").completed
        for _ in range(8):  # the steady camera submits its next frame when the last one is done
            scheduler.run("steady", steady_tensor)
            now = scheduler.lane("flood").completed
            flood_runs_between.append(now - before)
            before = now
    finally:
        stop.set()
        flooder.join(10)
    scheduler.close()  # the run in flight ends, the queued flood request is dropped
    steady, flooded = scheduler.lane("steady"), scheduler.lane("flood")
    assert (steady.submitted, steady.completed, steady.dropped) == (8, 8, 0)
    assert max(flood_runs_between) <= 3  # round-robin: a steady frame waits behind one flood run or two
    assert flooded.completed >= 1
    assert flooded.dropped > 0
    assert flooded.submitted == flooded.completed + flooded.dropped  # none lost uncounted


def test_close_drops_what_is_queued_and_refuses_more(
    detector: Detector, frames: list[NDArray[np.uint8]], make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler(SchedulerConfig())
    tensor = prepared(detector, frames[0]).tensor
    queued = scheduler.submit("cam", tensor)
    scheduler.close()
    with pytest.raises(FrameDroppedError, match="closed"):
        queued.result()
    with pytest.raises(FrameDroppedError, match="closed"):
        scheduler.run("cam", tensor)
    assert scheduler.lane("cam").dropped == 2


def test_a_lane_finds_what_the_detector_finds_in_the_frame_and_its_tiles(
    detector: Detector, frames: list[NDArray[np.uint8]], make_scheduler: MakeScheduler
) -> None:
    lane = DetectorLane(detector, make_scheduler(SchedulerConfig()).start(), "cam")
    tiles = [Tile(0, 0, 384, 432), Tile(384, 0, 768, 432)]
    for image in frames:
        expected = detector.detect_tiles(image, tiles, low_ratio=0.5)
        got = lane.detect_tiles(image, tiles, low_ratio=0.5)
        assert len(got) == len(expected) == 3
        for mine, theirs in zip(got, expected, strict=True):
            np.testing.assert_array_equal(mine.xyxy, theirs.xyxy)
            np.testing.assert_array_equal(mine.confidence, theirs.confidence)
    assert [len(d) for d in lane.detect_tiles(frames[0], [])] == [len(detector.detect(frames[0]))]


CPU, GPU = ["CPUExecutionProvider"], ["CUDAExecutionProvider", "CPUExecutionProvider"]


@pytest.mark.parametrize(
    ("setting", "providers", "wait_s", "batch"),
    [
        ({}, CPU, 0.0, 1),  # a batch costs the same per image on CPU: neither wait nor batch
        ({}, GPU, 0.01, 8),
        ({"batch_wait_ms": 20.0, "max_batch": 4}, CPU, 0.02, 4),
    ],
)
def test_batching_follows_the_provider_unless_set(
    setting: dict[str, float], providers: list[str], wait_s: float, batch: int
) -> None:
    config = SchedulerConfig.model_validate(setting)
    assert (config.wait_s(providers), config.batch(providers)) == (wait_s, batch)


def test_a_cpu_session_runs_one_image_at_a_time_by_default(
    detector: Detector, frames: list[NDArray[np.uint8]], make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler(SchedulerConfig())
    tensors = [prepared(detector, image).tensor for image in frames]
    futures = [scheduler.submit(f"cam-{k}", tensor) for k, tensor in enumerate(tensors)]
    scheduler.start()
    assert [f.result().batch_images for f in futures] == [1, 1, 1]
    assert scheduler.stats.runs == 3


def test_concurrency_is_at_least_two_unless_set() -> None:
    assert SchedulerConfig().concurrency >= 2
    assert SchedulerConfig(max_concurrent=1).concurrency == 1
