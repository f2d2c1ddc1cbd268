"""Newest frame wins between a realtime or live source's reader and a slow consumer (issue 20).

A replayed file (realtime) or a live stream hands over only its newest kept frame: a consumer slower
than the source gets a frame at most one kept frame old (the one the reader may be pacing), and every
kept frame it never took is counted as dropped; frames skipped by `detect_fps` are not drops. A file
read as fast as the consumer goes loses no frame. "Slow" here is structural: the consumer reads only
after the reader has kept `BEHIND` more frames.
"""

from __future__ import annotations

import time

import pytest

from ingest import VideoSource, VideoSourceConfig
from ingest.state import SourceHealth
from tests.conftest import clip
from tests.ingest.conftest import CAR_CLIP

pytestmark = pytest.mark.slow

BEHIND = 5
"""Kept frames the reader gets ahead of the consumer before each read."""
ROUNDS = 4
WAIT_S = 30.0


def kept(health: SourceHealth) -> int:
    """Frames the reader has grabbed and not skipped (one of them may still be on its way)."""
    return health.frames_read - health.frames_skipped


def wait_kept(source: VideoSource, at_least: int) -> int:
    """Wait until the reader has kept `at_least` frames; the count then."""
    deadline = time.monotonic() + WAIT_S
    while (count := kept(source.health())) < at_least:
        if time.monotonic() > deadline:
            pytest.fail(f"the reader kept {count} frames, not {at_least}, within {WAIT_S} s")
        time.sleep(0.02)
    return count


def all_kept(**fields: object) -> list[int]:
    """Indexes of every frame a file source keeps, read as fast as the consumer goes."""
    config = VideoSourceConfig.model_validate({"id": "car", "url": str(clip(CAR_CLIP))} | fields)
    with VideoSource(config) as source:
        indexes = [frame.index for frame in source.frames()]
        assert source.health().frames_dropped == 0
    return indexes


def test_a_file_read_as_fast_as_the_consumer_goes_loses_no_frame() -> None:
    indexes = all_kept(detect_fps=5)
    assert (len(indexes), indexes[:5]) == (151, [0, 3, 5, 8, 10])
    assert VideoSourceConfig(id="car", url=str(CAR_CLIP)).drops_stale is False


@pytest.mark.parametrize("detect_fps", [None, 5.0])
def test_a_realtime_file_hands_a_slow_consumer_the_newest_frame(detect_fps: float | None) -> None:
    order = {index: ordinal for ordinal, index in enumerate(all_kept(detect_fps=detect_fps))}
    config = VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)), detect_fps=detect_fps, realtime=True)
    assert config.drops_stale
    taken: list[int] = []
    with VideoSource(config) as source:
        for _ in range(ROUNDS):
            ahead = wait_kept(source, (order[taken[-1]] + 1 if taken else 0) + BEHIND)
            frame = source.read(timeout=5)
            health = source.health()
            taken.append(frame.index)
            ordinal = order[frame.index]
            # the newest frame: at most the one the reader may still be pacing is newer
            assert ordinal >= ahead - 2, (ordinal, ahead)
            # every kept frame before it that the consumer did not take was dropped, and counted
            assert health.frames_dropped >= ordinal + 1 - len(taken)
            # only kept frames are dropped: skipped ones are not counted twice
            assert health.frames_dropped + len(taken) <= kept(health)
    assert health.frames_dropped >= ROUNDS * (BEHIND - 2)


def test_a_realtime_file_can_keep_every_frame_when_asked() -> None:
    """`drop_stale: false` keeps the queued hand-over of a replayed file (the behaviour before)."""
    config = VideoSourceConfig(
        id="car", url=str(clip(CAR_CLIP)), detect_fps=5, realtime=True, drop_stale=False, queue_size=2
    )
    with VideoSource(config) as source:
        wait_kept(source, 3)  # two queued, the third waits for room
        frames = [source.read(timeout=5).index for _ in range(BEHIND)]
        dropped = source.health().frames_dropped
    assert (frames, dropped) == ([0, 3, 5, 8, 10], 0)


@pytest.mark.parametrize(
    ("fields", "drops"),
    [
        ({"url": "rtsp://127.0.0.1:8554/cam"}, True),
        ({"url": "rtsp://127.0.0.1:8554/cam", "drop_stale": False}, False),
        ({"url": "clip.mp4"}, False),
        ({"url": "clip.mp4", "realtime": True}, True),
        ({"url": "clip.mp4", "drop_stale": True}, True),
    ],
)
def test_newest_wins_by_default_for_live_streams_and_realtime_files(
    fields: dict[str, object], drops: bool
) -> None:
    assert VideoSourceConfig.model_validate({"id": "cam"} | fields).drops_stale is drops
