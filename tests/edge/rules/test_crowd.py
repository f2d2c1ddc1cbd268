"""Crowd: count and duration both needed, one hit per episode, grace period for dips."""

from __future__ import annotations

import pytest
import supervision as sv

from gridwatch.contracts import AlertKind
from tests.edge.rules.builders import build, frame, run


def crowd(**fields: object) -> dict[str, object]:
    rule = {"id": "square", "type": "crowd", "zone": "z", "min_count": 3, "min_duration_s": 4.0}
    return rule | {"clear_after_s": 1.0, "cooldown_s": 0.0} | fields


def people(n: int, first_id: int = 1) -> sv.Detections:
    """`n` persons inside the zone, plus one outside that never counts."""
    inside = [("person", 120.0 + 20 * k, 200.0, first_id + k) for k in range(n)]
    return frame(*inside, ("person", 500.0, 500.0, 99))


@pytest.mark.parametrize(
    ("count", "seconds", "hits"),
    [
        (3, 5.0, 1),  # enough people long enough
        (2, 30.0, 0),  # too few, however long
        (3, 3.0, 0),  # enough people, not long enough
        (8, 60.0, 1),  # one hit per episode, not per frame
    ],
)
def test_needs_count_and_duration(count: int, seconds: float, hits: int) -> None:
    found = run(build(crowd()), [people(count)] * int(seconds * 5))
    assert len(found) == hits
    for hit in found:
        assert hit.kind == AlertKind.CROWD
        assert hit.details["count"] == count
        assert hit.track_ids == tuple(range(1, count + 1))
        assert hit.frame_index == 20  # 4.0 s after the first frame at 5 fps


def test_short_dip_keeps_the_episode() -> None:
    frames = [people(3)] * 15 + [people(1)] * 3 + [people(3)] * 15  # dip of 0.6 s < clear_after_s
    hits = run(build(crowd()), frames)
    assert [hit.frame_index for hit in hits] == [20]


def test_long_dip_ends_the_episode_and_restarts_the_clock() -> None:
    frames = [people(3)] * 15 + [people(1)] * 10 + [people(3)] * 15  # 2 s dip; 3 s, then 3 s of crowd
    assert run(build(crowd(grace_s=0.0)), frames) == []  # (with grace_s the dip starts grace_s later)


@pytest.mark.parametrize(("cooldown_s", "hits"), [(0.0, 2), (60.0, 1)])
def test_new_episode_and_cooldown(cooldown_s: float, hits: int) -> None:
    frames = ([people(4)] * 30 + [people(0)] * 10) * 2
    assert len(run(build(crowd(cooldown_s=cooldown_s, grace_s=0.0)), frames)) == hits


def test_tentative_tracks_do_not_count() -> None:
    frames = [frame(*(("person", 150.0 + 20 * k, 200.0, -1) for k in range(5)))] * 30
    assert run(build(crowd()), frames) == []


def test_group_classes_count() -> None:
    cars = frame(*(("car", 120.0 + 40 * k, 200.0, k) for k in range(3)))
    assert len(run(build(crowd(classes=["vehicle"])), [cars] * 30)) == 1
    assert run(build(crowd()), [cars] * 30) == []


def test_state_goes_back_to_zero() -> None:
    rules = build(crowd(cooldown_s=2.0))
    run(rules, [people(3)] * 25)
    assert rules.state_size == 2 + 3  # open episode, running cooldown, three people present
    run(rules, [people(0)] * 15, start=25)
    assert rules.state_size == 0


def alternating() -> list[sv.Detections]:
    """Three people, never all detected in one frame: 1 and 2 in even frames, 3 in odd ones."""
    even = frame(("person", 120.0, 200.0, 1), ("person", 140.0, 200.0, 2))
    odd = frame(("person", 160.0, 200.0, 3))
    return [even, odd] * 30


@pytest.mark.parametrize(("grace_s", "hits"), [(1.0, 1), (0.0, 0)])
def test_objects_missed_in_some_frames_still_count(grace_s: float, hits: int) -> None:
    found = run(build(crowd(grace_s=grace_s)), alternating())
    assert len(found) == hits
    for hit in found:
        assert hit.details["count"] == 3
        assert hit.frame_index == 21  # the crowd is 3 from frame 1 on; 4 s later at 5 fps


def test_an_object_seen_leaving_stops_counting_at_once() -> None:
    inside = people(3)
    two_in_one_out = frame(
        ("person", 120.0, 200.0, 1), ("person", 140.0, 200.0, 2), ("person", 500.0, 500.0, 3)
    )
    frames = [inside] * 10 + [two_in_one_out] * 30
    assert run(build(crowd(grace_s=5.0)), frames) == []


def test_a_missed_object_counts_only_for_the_grace_period() -> None:
    frames = [people(3)] * 5 + [people(2)] * 30  # person 3 unseen from 1 s on
    assert run(build(crowd(grace_s=1.0, clear_after_s=10.0)), frames) == []  # 2 s of 3, then 2
