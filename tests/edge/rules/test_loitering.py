"""Loitering: dwell time inside the zone, one hit per object and episode."""

from __future__ import annotations

import pytest

from gridwatch.contracts import AlertKind
from tests.edge.rules.builders import build, frame, repeat, run

IN = ("person", 200.0, 200.0, 1)
OUT = ("person", 400.0, 400.0, 1)


def loitering(**fields: object) -> dict[str, object]:
    return {"id": "atm", "type": "loitering", "zone": "z", "min_duration_s": 10.0, "cooldown_s": 5.0} | fields


@pytest.mark.parametrize(
    ("frames_inside", "hits"),
    [(50, 0), (51, 1), (200, 1)],  # 5 fps: frame 50 is 10.0 s after the first one inside
)
def test_hit_once_after_min_duration(frames_inside: int, hits: int) -> None:
    found = run(build(loitering()), repeat(frames_inside, IN))
    assert len(found) == hits
    if hits:
        assert (found[0].kind, found[0].frame_index, found[0].details["dwell_s"]) == (
            AlertKind.LOITERING,
            50,
            10.0,
        )


def test_one_hit_per_episode_without_cooldown() -> None:
    assert len(run(build(loitering(cooldown_s=0.0)), repeat(300, IN))) == 1


def test_leaving_restarts_the_dwell_clock() -> None:
    frames = (repeat(40, IN) + repeat(1, OUT)) * 3  # 8 s inside each time: never 10 s in a row
    assert run(build(loitering()), frames) == []


@pytest.mark.parametrize(("cooldown_s", "hits"), [(5.0, 2), (60.0, 1)])
def test_second_episode_respects_the_cooldown(cooldown_s: float, hits: int) -> None:
    frames = repeat(55, IN) + repeat(5, OUT) + repeat(55, IN)
    assert len(run(build(loitering(cooldown_s=cooldown_s)), frames)) == hits


def test_only_the_lingering_object_is_reported() -> None:
    other_in, other_out = ("person", 150.0, 150.0, 2), ("person", 400.0, 400.0, 2)
    frames = [frame(IN, other_in if k < 20 else other_out) for k in range(60)]
    hits = run(build(loitering()), frames)
    assert [hit.track_ids for hit in hits] == [(1,)]


def test_state_is_bounded() -> None:
    rules = build(loitering(cooldown_s=1.0))
    run(rules, [frame(("person", 200.0, 200.0, k)) for k in range(100)])  # a new id every frame
    assert rules.state_size <= 11  # only tracks seen in the last lost_after_s = 2 s (10 frames)
    run(rules, [frame()] * 11, start=100)
    assert rules.state_size == 0
