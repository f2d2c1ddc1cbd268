"""The reader-to-consumer queue: drop-oldest for live streams, lossless for files, a final end marker."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import numpy as np
import pytest

from ingest.errors import EndOfStreamError, FrameTimeoutError, SourceError
from ingest.frame import Frame
from ingest.handoff import FrameQueue
from ingest.state import HealthTracker


def make_frame(index: int) -> Frame:
    """A tiny black frame at ``index``, 10 fps."""
    image = np.zeros((2, 2, 3), dtype=np.uint8)
    return Frame(source_id="t", index=index, pts=index / 10, captured_at=datetime.now(UTC), image=image)


def make_queue(size: int, *, drop_oldest: bool) -> tuple[FrameQueue, HealthTracker, threading.Event]:
    tracker, stop = HealthTracker("t"), threading.Event()
    return FrameQueue(size, drop_oldest=drop_oldest, tracker=tracker, stop=stop), tracker, stop


def test_live_queue_keeps_the_newest_frames_and_counts_drops() -> None:
    handoff, tracker, _ = make_queue(2, drop_oldest=True)
    for index in range(5):
        handoff.put(make_frame(index))
    got = [handoff.get(timeout=0.1).index for _ in range(2)]
    assert (got, tracker.snapshot().frames_dropped) == ([3, 4], 3)


def test_file_queue_makes_the_reader_wait_and_loses_nothing() -> None:
    handoff, tracker, _ = make_queue(1, drop_oldest=False)

    def write() -> None:
        for index in range(20):
            handoff.put(make_frame(index))

    writer = threading.Thread(target=write)
    writer.start()
    got = [handoff.get(timeout=5).index for _ in range(20)]
    writer.join(timeout=5)
    assert (got, tracker.snapshot().frames_dropped) == (list(range(20)), 0)


def test_end_comes_after_the_queued_frames_and_repeats() -> None:
    handoff, _, _ = make_queue(4, drop_oldest=True)
    handoff.put(make_frame(0))
    handoff.finish(EndOfStreamError("end of clip"))
    assert handoff.get(timeout=0.1).index == 0
    for _ in range(2):
        with pytest.raises(EndOfStreamError, match="end of clip"):
            handoff.get(timeout=0.1)


def test_end_gets_through_a_full_queue_when_closing() -> None:
    handoff, _, stop = make_queue(1, drop_oldest=False)
    handoff.put(make_frame(0))
    stop.set()
    handoff.finish(SourceError("closed"))
    with pytest.raises(SourceError, match="closed"):
        handoff.get(timeout=0.1)


def test_empty_queue_times_out() -> None:
    handoff, _, _ = make_queue(1, drop_oldest=True)
    with pytest.raises(FrameTimeoutError, match=r"within 0\.05 s"):
        handoff.get(timeout=0.05)
