"""Zones and lines in image pixels, and where a detection is (its anchor point).

Image coordinates: x grows to the right, y grows downwards, origin at the top-left pixel.

Side convention of a line: walking from `start` to `end` on the image as displayed, side **A** is on
your left and side **B** on your right. Numerically, A is where `cross(end - start, p - start) < 0`
(y points down). Example: for a line from (0, 100) to (200, 100), A is above it (y < 100).

Example:
    >>> zone = Zone.from_config(ZoneConfig(name="yard", points=[(0, 0), (100, 0), (100, 100)]))
    >>> zone.contains(np.array([[90.0, 10.0], [10.0, 90.0]])).tolist()
    [True, False]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import shapely
import supervision as sv
from numpy.typing import NDArray
from pydantic import Field, model_validator

from gridwatch.contracts.alert import Identifier
from gridwatch.strict import Strict

Name = Identifier
"""A zone or line name: an identifier, as the alert contract defines it."""
Point = tuple[float, float]
Points = NDArray[np.float64]
"""(N, 2) array of x, y pixel coordinates."""


class Anchor(StrEnum):
    """Which point of a box stands for the object."""

    CENTER = "center"
    BOTTOM_CENTER = "bottom_center"


class Direction(StrEnum):
    """Which crossings of a line count."""

    A_TO_B = "a_to_b"
    B_TO_A = "b_to_a"
    BOTH = "both"


def anchor_points(detections: sv.Detections, anchor: Anchor) -> Points:
    """The anchor point of every box, as an (N, 2) float64 array."""
    x1, y1, x2, y2 = np.asarray(detections.xyxy, dtype=np.float64).reshape(-1, 4).T
    y = y2 if anchor is Anchor.BOTTOM_CENTER else (y1 + y2) / 2
    return np.column_stack([(x1 + x2) / 2, y])


class ZoneConfig(Strict):
    """A named polygon in image pixels: at least 3 points, not self-intersecting."""

    name: Name = Field(description="Zone name that rules refer to")
    points: list[Point] = Field(
        description="Polygon corners (x, y) in pixels of the original frame, in order"
    )

    @model_validator(mode="after")
    def _valid_polygon(self) -> ZoneConfig:
        if len(self.points) < 3:
            raise ValueError(f"zone {self.name!r}: a polygon needs at least 3 points, got {len(self.points)}")
        polygon = shapely.Polygon(self.points)
        reason = shapely.is_valid_reason(polygon)
        if reason != "Valid Geometry":
            raise ValueError(f"zone {self.name!r}: invalid polygon {self.points}: {reason}")
        if polygon.area <= 0:
            raise ValueError(f"zone {self.name!r}: polygon {self.points} has no area")
        return self


class LineConfig(Strict):
    """A named segment in image pixels; side A is on the left when walking from start to end."""

    name: Name = Field(description="Line name that rules refer to")
    start: Point = Field(description="First end (x, y) in pixels of the original frame")
    end: Point = Field(description="Second end (x, y) in pixels; walking start → end, side A is on the left")

    @model_validator(mode="after")
    def _distinct_ends(self) -> LineConfig:
        if self.start == self.end:
            raise ValueError(f"line {self.name!r}: start and end are the same point {list(self.start)}")
        return self


@dataclass(frozen=True, eq=False)
class Zone:
    """A polygon ready for fast point tests (boundary counts as inside)."""

    name: str
    points: Points
    _polygon: shapely.Polygon = field(repr=False)

    @classmethod
    def from_config(cls, config: ZoneConfig) -> Zone:
        """Build the zone, with its polygon prepared for repeated tests."""
        polygon = shapely.Polygon(config.points)
        shapely.prepare(polygon)
        return cls(name=config.name, points=np.asarray(config.points, dtype=np.float64), _polygon=polygon)

    def contains(self, points: Points) -> NDArray[np.bool_]:
        """For each (x, y) row of `points`, whether it lies in the zone; vectorised."""
        if len(points) == 0:
            return np.zeros(0, dtype=bool)
        return np.asarray(shapely.intersects_xy(self._polygon, points[:, 0], points[:, 1]), dtype=bool)


@dataclass(frozen=True, eq=False)
class Line:
    """A segment that tells which side points are on and which movements cross it.

    Example:
        >>> gate = Line(name="gate", start=(0.0, 100.0), end=(200.0, 100.0))  # A is above it
        >>> gate.crossing((50.0, 80.0), (50.0, 120.0)), gate.crossing((250.0, 80.0), (250.0, 120.0))
        (1, 0)
    """

    name: str
    start: Point
    end: Point

    @classmethod
    def from_config(cls, config: LineConfig) -> Line:
        """Build the line from its config."""
        return cls(name=config.name, start=config.start, end=config.end)

    @property
    def points(self) -> Points:
        """The two ends as a (2, 2) array, for drawing."""
        return np.array([self.start, self.end], dtype=np.float64)

    def crossing(self, before: Point, after: Point) -> int:
        """+1 if the movement before → after crosses the segment from A to B, -1 from B to A, 0 if it
        does not cross the segment (a side change beyond its ends is no crossing; so is touching it)."""
        (sx, sy), (ex, ey) = self.start, self.end
        side_before, side_after = self.side_of(before), self.side_of(after)
        mx, my = after[0] - before[0], after[1] - before[1]
        start_side = _cross2(mx, my, sx - before[0], sy - before[1])
        end_side = _cross2(mx, my, ex - before[0], ey - before[1])
        if side_before * side_after >= 0 or start_side * end_side > 0:
            return 0
        return 1 if side_after > 0 else -1

    def side_of(self, point: Point) -> float:
        """Signed side of one point: < 0 on side A, > 0 on side B, 0 on the (infinite) line."""
        (sx, sy), (ex, ey) = self.start, self.end
        return _cross2(ex - sx, ey - sy, point[0] - sx, point[1] - sy)


def _cross2(ux: float, uy: float, vx: float, vy: float) -> float:
    """z of the 2-D cross product (ux, uy) × (vx, vy)."""
    return ux * vy - uy * vx
