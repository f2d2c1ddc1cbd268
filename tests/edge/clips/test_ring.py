"""The pre-roll buffer: enough seconds from a keyframe on, bounded in bytes, reset by a new stream."""

from __future__ import annotations

import pytest

from edge.clips.ring import PreRoll, Timed


def _packets(ring: PreRoll[int], seconds: float, *, fps: int = 10, gop: int = 10, size: int = 100) -> None:
    for n in range(round(seconds * fps)):
        ring.add(Timed(n / fps, n % gop == 0, size, n))


def test_keeps_pre_s_from_the_keyframe_before_it() -> None:
    ring = PreRoll[int](pre_s=5, max_bytes=1 << 20)
    _packets(ring, 20)  # keyframes every second, last packet at 19.9 s
    items = ring.since(19.9 - 5)
    assert items[0].key
    assert items[0].t == pytest.approx(14.0)
    assert ring.since(-1)[0].t == pytest.approx(14.0)  # nothing older is held
    assert len(ring) == 60


@pytest.mark.parametrize(("start", "first"), [(14.8, 15.0), (14.3, 14.0), (18.7, 18.0)])
def test_a_clip_starts_at_the_keyframe_nearest_its_pre_roll_but_before_its_alert(
    start: float, first: float
) -> None:
    ring = PreRoll[int](pre_s=5, max_bytes=1 << 20)
    _packets(ring, 20)  # keyframes every second
    items = ring.since(start, before=18.5 if start > 18 else 19.8)
    assert items[0].key
    assert items[0].t == pytest.approx(first)


def test_the_byte_bound_drops_whole_groups_first() -> None:
    ring = PreRoll[int](pre_s=5, max_bytes=2500)
    _packets(ring, 20)
    assert ring.nbytes <= 2500
    assert ring.since(0)[0].key


def test_nothing_before_the_first_keyframe_and_a_clock_going_back_starts_over() -> None:
    ring = PreRoll[int](pre_s=5, max_bytes=1 << 20)
    ring.add(Timed(0.0, False, 10, 0))
    assert len(ring) == 0
    _packets(ring, 3)
    ring.add(Timed(0.5, True, 10, 99))
    assert [item.item for item in ring.since(0)] == [99]


def test_frames_are_each_a_keyframe() -> None:
    ring = PreRoll[int](pre_s=5, max_bytes=1 << 20)
    _packets(ring, 10, fps=5, gop=1)
    assert ring.since(9.8 - 5)[0].t == pytest.approx(4.8)
