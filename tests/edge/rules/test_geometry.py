"""Zones, lines, anchors: point tests, side convention, segment crossings, polygon validation."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from edge.rules import Anchor, Line, LineConfig, Zone, ZoneConfig, anchor_points
from tests.edge.rules.builders import SQUARE, frame, make_detections

ZONE = Zone.from_config(ZoneConfig(name="z", points=SQUARE))
LINE = Line.from_config(LineConfig(name="l", start=(100, 200), end=(300, 200)))


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        ((200, 200), True),
        ((100, 150), True),  # on the boundary
        ((99, 150), False),
        ((200, 301), False),
        ((400, 400), False),
    ],
)
def test_zone_contains(point: tuple[float, float], inside: bool) -> None:
    assert ZONE.contains(np.array([point], dtype=np.float64)).tolist() == [inside]


def test_zone_contains_many_points_at_once() -> None:
    points = np.array([[200, 200], [0, 0], [150, 250], [310, 200]], dtype=np.float64)
    assert ZONE.contains(points).tolist() == [True, False, True, False]
    assert ZONE.contains(np.zeros((0, 2))).shape == (0,)


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [(Anchor.BOTTOM_CENTER, [[200.0, 350.0]]), (Anchor.CENTER, [[200.0, 250.0]])],
)
def test_anchor_points(anchor: Anchor, expected: list[list[float]]) -> None:
    dets = make_detections([(150, 150, 250, 350)], ["person"], [1])
    assert anchor_points(dets, anchor).tolist() == expected


def test_a_zone_holds_a_box_by_its_anchor() -> None:
    # box from y=60 to y=120: bottom centre (200, 120) inside, centre (200, 90) outside
    dets = make_detections([(190, 60, 210, 120)], ["person"], [1])
    assert ZONE.contains(anchor_points(dets, Anchor.BOTTOM_CENTER)).tolist() == [True]
    assert ZONE.contains(anchor_points(dets, Anchor.CENTER)).tolist() == [False]
    assert ZONE.contains(anchor_points(frame(), Anchor.CENTER)).tolist() == []


def test_side_a_is_left_walking_start_to_end() -> None:
    # walking left to right on the image (y down), the left hand points up: A is above
    assert LINE.side_of((200, 150)) < 0 < LINE.side_of((200, 250))
    assert LINE.side_of((500, 200)) == 0


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ((200, 150), (200, 250), 1),  # A (above) → B
        ((200, 250), (200, 150), -1),  # B → A
        ((150, 150), (250, 150), 0),  # parallel, never crosses
        ((350, 150), (350, 250), 0),  # changes side beyond the end of the segment
        ((50, 150), (50, 250), 0),  # … and beyond the start
        ((200, 150), (200, 190), 0),  # approaches but does not reach
        ((50, 150), (250, 250), 1),  # diagonal through the segment
        ((300, 150), (300, 250), 1),  # through an end point
        ((200, 200), (200, 250), 0),  # starts on the line: no side to come from
        ((200, 150), (200, 200), 0),  # ends on the line: not crossed yet
    ],
)
def test_crossing(before: tuple[float, float], after: tuple[float, float], expected: int) -> None:
    assert LINE.crossing(before, after) == expected


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([(0, 0), (10, 0)], "zone 'bad': a polygon needs at least 3 points, got 2"),
        ([(0, 0), (10, 10), (10, 0), (0, 10)], "zone 'bad': invalid polygon"),
        ([(0, 0), (5, 5), (10, 10)], "zone 'bad'"),
    ],
)
def test_bad_polygon_is_refused_naming_the_zone(points: list[tuple[float, float]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ZoneConfig(name="bad", points=points)


def test_self_intersection_says_so() -> None:
    with pytest.raises(ValidationError, match=r"Self-intersection"):
        ZoneConfig(name="bowtie", points=[(0, 0), (10, 10), (10, 0), (0, 10)])


def test_line_needs_two_distinct_points() -> None:
    message = r"line 'gate': start and end are the same point \[5\.0, 5\.0\]"
    with pytest.raises(ValidationError, match=message):
        LineConfig(name="gate", start=(5, 5), end=(5, 5))
