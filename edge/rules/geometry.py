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
from typing import Annotated

import numpy as np
import shapely
import supervision as sv
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
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


_POSITIONS = {Anchor.CENTER: sv.Position.CENTER, Anchor.BOTTOM_CENTER: sv.Position.BOTTOM_CENTER}


def anchor_points(detections: sv.Detections, anchor: Anchor) -> Points:
    """The anchor point of every box, as an (N, 2) float64 array."""
    return np.asarray(detections.get_anchors_coordinates(_POSITIONS[anchor]), dtype=np.float64).reshape(-1, 2)


class ZoneConfig(BaseModel):
    """A named polygon in image pixels: at least 3 points, not self-intersecting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


class LineConfig(BaseModel):
    """A named segment in image pixels; side A is on the left when walking from start to end."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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

    def trigger(self, detections: sv.Detections, anchor: Anchor = Anchor.BOTTOM_CENTER) -> NDArray[np.bool_]:
        """For each detection, whether its anchor point lies in the zone."""
        return self.contains(anchor_points(detections, anchor))


@dataclass(frozen=True, eq=False)
class Line:
    """A segment that tells which side points are on and which movements cross it."""

    name: str
    start: NDArray[np.float64]
    end: NDArray[np.float64]

    @classmethod
    def from_config(cls, config: LineConfig) -> Line:
        """Build the line from its config."""
        return cls(name=config.name, start=np.asarray(config.start, float), end=np.asarray(config.end, float))

    @property
    def points(self) -> Points:
        """The two ends as a (2, 2) array, for drawing."""
        return np.stack([self.start, self.end])

    def side(self, points: Points) -> NDArray[np.float64]:
        """Signed side of each point: < 0 on side A, > 0 on side B, 0 on the (infinite) line."""
        return _cross(self.end - self.start, points - self.start)

    def crossings(self, before: Points, after: Points) -> NDArray[np.int8]:
        """For each movement before[i] → after[i]: +1 if it crosses the segment from A to B, -1 from B
        to A, 0 if it does not cross the segment (a side change beyond its ends is no crossing)."""
        side_before, side_after = self.side(before), self.side(after)
        motion = after - before
        ends_apart = _cross(motion, self.start - before) * _cross(motion, self.end - before) <= 0
        crossed = (side_before * side_after < 0) & ends_apart
        return np.where(crossed, np.sign(side_after), 0).astype(np.int8)


def _cross(u: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
    """z of the 2-D cross product u × v, row by row (broadcasts)."""
    return np.asarray(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0], dtype=np.float64)
