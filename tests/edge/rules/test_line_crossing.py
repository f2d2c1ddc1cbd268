"""Line crossing: segment intersection of an object's movement, with its direction."""

from __future__ import annotations

import pytest

from edge.rules import RuleHit, RuleSet
from gridwatch.contracts import AlertKind
from tests.edge.rules.builders import build, frame, run

# line "l" runs from (100, 200) to (300, 200): side A is above (y < 200), B below


def crossing(**fields: object) -> dict[str, object]:
    return {"id": "gate", "type": "line_crossing", "line": "l", "cooldown_s": 0.0} | fields


def walk(points: list[tuple[float, float]], track: int = 1, name: str = "person") -> list[RuleHit]:
    return walk_with(build(crossing()), points, track, name)


def walk_with(
    rules: RuleSet, points: list[tuple[float, float]], track: int = 1, name: str = "person"
) -> list[RuleHit]:
    return run(rules, [frame((name, x, y, track)) for x, y in points])


DOWN = [(200.0, float(y)) for y in (120, 160, 190, 210, 240, 280)]
UP = list(reversed(DOWN))


@pytest.mark.parametrize(
    ("points", "directions"),
    [
        (DOWN, ["a_to_b"]),
        (UP, ["b_to_a"]),
        (DOWN + UP, ["a_to_b", "b_to_a"]),
        ([(x, 180.0) for x in range(50, 400, 30)], []),  # parallel to the line, never on it
        ([(350.0, y) for y in range(120, 300, 30)], []),  # crosses the infinite line beyond the end
        ([(60.0, y) for y in range(120, 300, 30)], []),  # … and before the start
        ([(200.0, 150.0), (200.0, 200.0), (200.0, 200.0), (200.0, 250.0)], ["a_to_b"]),  # stops on it
        ([(200.0, 150.0), (200.0, 200.0), (200.0, 150.0)], []),  # touches it and turns back
    ],
)
def test_crossings_and_direction(points: list[tuple[float, float]], directions: list[str]) -> None:
    hits = walk(points)
    assert [hit.details["direction"] for hit in hits] == directions
    assert all(hit.kind == AlertKind.LINE_CROSSING and hit.details["line"] == "l" for hit in hits)


@pytest.mark.parametrize(
    ("direction", "expected"),
    [("a_to_b", ["a_to_b"]), ("b_to_a", ["b_to_a"]), ("both", ["a_to_b", "b_to_a"])],
)
def test_configured_direction_filters(direction: str, expected: list[str]) -> None:
    hits = walk_with(build(crossing(direction=direction)), DOWN + UP)
    assert [hit.details["direction"] for hit in hits] == expected


def test_hit_carries_the_crossing_object_and_line() -> None:
    other = ("person", 600.0, 600.0, 2)
    frames = [frame(("person", x, y, 7), other) for x, y in DOWN]
    hits = run(build(crossing()), frames)
    assert len(hits) == 1
    assert hits[0].track_ids == (7,)
    assert hits[0].frame_index == 3
    assert hits[0].geometry is not None
    assert hits[0].geometry.points.tolist() == [[100.0, 200.0], [300.0, 200.0]]


def test_cooldown_swallows_jitter_across_the_line() -> None:
    jitter = [(200.0, 190.0), (200.0, 210.0)] * 5
    assert len(walk_with(build(crossing()), jitter)) == 9
    assert len(walk_with(build(crossing(cooldown_s=5.0)), jitter)) == 1


def test_tentative_track_is_ignored() -> None:
    assert walk(DOWN, track=-1) == []


def test_anchor_center_uses_box_centre() -> None:
    # boxes are 40 px tall: the centre is 20 px above the bottom-centre anchor
    points = [(200.0, 205.0), (200.0, 215.0), (200.0, 225.0)]
    assert walk_with(build(crossing()), points) == []
    assert len(walk_with(build(crossing(anchor="center")), points)) == 1


def test_track_id_switch_is_no_crossing() -> None:
    frames = [frame(("person", 200.0, 150.0, 1)), frame(("person", 200.0, 250.0, 2))]
    assert run(build(crossing()), frames) == []


def test_lost_tracks_are_forgotten() -> None:
    rules = build(crossing(cooldown_s=1.0))
    walk_with(rules, DOWN)
    assert rules.state_size == 2  # last point of the track and its cooldown
    run(rules, [frame()] * 15, start=len(DOWN))
    assert rules.state_size == 0
