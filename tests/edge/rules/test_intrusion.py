"""Intrusion: one hit per object and episode after min_frames, with a cooldown across episodes."""

from __future__ import annotations

import pytest

from edge.rules import IntrusionRule
from gridwatch.contracts import AlertKind, Severity
from tests.edge.rules.builders import Obj, build, frame, repeat, run

IN = ("person", 200.0, 200.0, 1)
OUT = ("person", 400.0, 400.0, 1)


def intrusion(**fields: object) -> dict[str, object]:
    return {"id": "door", "type": "intrusion", "zone": "z", "min_frames": 3, "cooldown_s": 10.0} | fields


@pytest.mark.parametrize("cooldown_s", [0.0, 10.0])
def test_one_hit_per_object_per_episode_not_per_frame(cooldown_s: float) -> None:
    hits = run(build(intrusion(severity="high", cooldown_s=cooldown_s)), repeat(100, IN))
    assert len(hits) == 1
    hit = hits[0]
    assert (hit.rule_id, hit.kind, hit.severity) == ("door", AlertKind.INTRUSION, Severity.HIGH)
    assert (hit.frame_index, hit.track_ids, hit.details["frames_inside"]) == (2, (1,), 3)
    assert hit.detections.tracker_id is not None
    assert hit.detections.tracker_id.tolist() == [1]
    assert list(hit.detections.data["class_name"]) == ["person"]
    assert hit.geometry is not None
    assert hit.geometry.name == "z"


@pytest.mark.parametrize(
    ("frames_inside", "min_frames", "hits"), [(2, 3, 0), (3, 3, 1), (1, 1, 1), (4, 5, 0)]
)
def test_min_frames_are_consecutive(frames_inside: int, min_frames: int, hits: int) -> None:
    frames = (repeat(frames_inside, IN) + repeat(1, OUT)) * 3
    assert len(run(build(intrusion(min_frames=min_frames, cooldown_s=0)), frames)) == hits * 3


def test_missing_frame_does_not_break_the_run() -> None:
    frames = [*repeat(2, IN), frame(), *repeat(1, IN)]
    assert len(run(build(intrusion()), frames)) == 1


@pytest.mark.parametrize(
    ("gap_frames", "expected"),
    [(60, 2), (10, 1)],  # 5 fps: leaving for 12 s re-arms the 10 s cooldown, 2 s does not
)
def test_reentry_after_and_within_cooldown(gap_frames: int, expected: int) -> None:
    frames = repeat(5, IN) + repeat(gap_frames, OUT) + repeat(5, IN)
    assert len(run(build(intrusion()), frames)) == expected


def test_cooldown_is_per_object() -> None:
    two = [("person", 200.0, 200.0, 1), ("person", 250.0, 250.0, 2)]
    hits = run(build(intrusion()), repeat(5, *two))
    assert sorted(hit.track_ids for hit in hits) == [(1,), (2,)]


def test_tentative_tracks_are_ignored() -> None:
    assert run(build(intrusion()), repeat(10, ("person", 200.0, 200.0, -1))) == []


@pytest.mark.parametrize(
    ("classes", "name", "expected"),
    [
        (["vehicle"], "car", 1),  # group name
        (["vehicle"], "truck", 1),
        (["car"], "car", 1),  # class name
        (["vehicle"], "person", 0),
        (["person"], "car", 0),
    ],
)
def test_classes_match_names_and_groups(classes: list[str], name: str, expected: int) -> None:
    hits = run(build(intrusion(classes=classes)), repeat(5, (name, 200.0, 200.0, 1)))
    assert len(hits) == expected


def test_lost_track_is_forgotten() -> None:
    rules = build(intrusion(cooldown_s=1.0, lost_after_s=2.0))
    run(rules, repeat(5, IN))
    assert rules.state_size == 2  # the track's episode and its cooldown
    run(rules, [frame()] * 11, start=5)  # 2.2 s without the track
    assert rules.state_size == 0


def test_lost_track_returning_starts_a_new_episode() -> None:
    frames = repeat(5, IN) + [frame()] * 15 + repeat(5, IN)  # 3 s away > lost_after_s = 2 s
    assert len(run(build(intrusion(cooldown_s=1.0)), frames)) == 2


def test_reset_forgets_everything() -> None:
    rules = build(intrusion())
    run(rules, repeat(5, IN))
    rules.reset()
    assert rules.state_size == 0
    assert len(run(rules, repeat(5, IN))) == 1  # cooldown forgotten too


def test_rule_class_is_registered() -> None:
    assert isinstance(build(intrusion()).rules[0], IntrusionRule)


@pytest.mark.parametrize(
    ("radius", "second", "keep_first", "hits"),
    [
        (None, ("person", 205.0, 200.0, 2), False, 2),  # off: a new id is a new object
        (50.0, ("person", 205.0, 200.0, 2), False, 1),  # same place, old id gone: an id switch
        (50.0, ("person", 280.0, 280.0, 2), False, 2),  # too far away: another person
        (50.0, ("person", 205.0, 200.0, 2), True, 2),  # old id still visible: two people
    ],
)
def test_id_switch_guard(radius: float | None, second: Obj, keep_first: bool, hits: int) -> None:
    rules = build(intrusion(id_switch_radius_px=radius, cooldown_s=30.0))
    frames = repeat(5, IN) + [frame(second, *([IN] if keep_first else [])) for _ in range(5)]
    assert len(run(rules, frames)) == hits


def test_id_switch_guard_state_is_bounded() -> None:
    rules = build(intrusion(id_switch_radius_px=50.0, cooldown_s=1.0))
    run(rules, [frame(("person", 200.0, 200.0, k // 5)) for k in range(50)])  # a new id every second
    run(rules, [frame()] * 15, start=50)
    assert rules.state_size == 0
