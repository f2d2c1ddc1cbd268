"""Grid polygons as SVG path data for one zoom level: coordinates stay WGS84/CGCS2000 lon/lat as
imported (no GCJ-02 offset is ever applied); they are only scaled into a pixel frame.

The frame fits the shown node's longer side into `WIDTH` pixels (longitude scaled by cos(latitude)
so shapes keep their proportions). Each polygon is simplified with a tolerance of half a pixel of
that frame and written in whole pixels with relative moves (`h`, `v`, `l`), so a county of 42,700
cells costs a few dozen bytes a cell; a cell smaller than a pixel still gets a 1×1 square, so every
cell stays on the map.

Example:
    >>> frame = Frame.fit((118.7, 32.0, 118.708, 32.008))
    >>> square = {"type": "Polygon", "coordinates": [[[118.7, 32.0], [118.704, 32.0], [118.704, 32.004],
    ...           [118.7, 32.004], [118.7, 32.0]]]}
    >>> frame.path(square)
    'M19 981h408v-481h-408z'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import shapely
from shapely import Polygon
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

WIDTH = 1000
MARGIN = 0.02

Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class Frame:
    """Pixels of one view: x = (lon - west) * scale * kx, y = (north - lat) * scale."""

    west: float
    north: float
    scale: float
    kx: float
    width: int
    height: int

    @classmethod
    def fit(cls, bounds: Bounds, width: int = WIDTH) -> Frame:
        """A frame showing `bounds` (west, south, east, north), its longer side `width` pixels."""
        west, south, east, north = bounds
        kx = math.cos(math.radians((south + north) / 2))
        span_x, span_y = max((east - west) * kx, 1e-9), max(north - south, 1e-9)
        pad = max(span_x, span_y) * MARGIN
        scale = width / (max(span_x, span_y) + 2 * pad)
        size_x, size_y = math.ceil((span_x + 2 * pad) * scale), math.ceil((span_y + 2 * pad) * scale)
        return cls(west - pad / kx, north + pad, scale, kx, size_x, size_y)

    def xy(self, lon: float, lat: float) -> tuple[int, int]:
        """Whole pixels of a point."""
        return round((lon - self.west) * self.kx * self.scale), round((self.north - lat) * self.scale)

    @property
    def tolerance(self) -> float:
        """Half a pixel, in degrees of latitude (simplification tolerance of this zoom level)."""
        return 0.5 / self.scale

    def path(self, geometry: dict[str, Any] | BaseGeometry) -> str:
        """SVG path data of a (Multi)Polygon, simplified for this frame; never empty."""
        geom = geometry if isinstance(geometry, BaseGeometry) else shape(geometry)
        simple = geom.simplify(self.tolerance, preserve_topology=False)
        parts = [
            self._ring(self.xy(x, y) for x, y, *_ in p.exterior.coords)
            for p in _polygons(simple if not simple.is_empty else geom)
        ]
        drawn = "".join(p for p in parts if p)
        if drawn:
            return drawn
        x, y = self.xy(geom.centroid.x, geom.centroid.y)
        return f"M{x} {y}h1v1h-1z"

    def paths(self, geoms: Any) -> list[str]:
        """`path` of an array of geometries at once: simplified and scaled in vectorised shapely and
        numpy calls (a county's 42,700 cells in about a second); Polygons draw their outer ring,
        anything else goes through `path`."""
        simple = shapely.simplify(geoms, self.tolerance, preserve_topology=False)
        rings = shapely.get_exterior_ring(np.where(shapely.is_empty(simple), geoms, simple))
        coords, index = shapely.get_coordinates(rings, return_index=True)
        xs = np.rint((coords[:, 0] - self.west) * self.kx * self.scale).astype(np.int64)
        ys = np.rint((self.north - coords[:, 1]) * self.scale).astype(np.int64)
        starts = np.searchsorted(index, np.arange(len(geoms) + 1))
        found = []
        for i, geom in enumerate(geoms):
            a, b = starts[i], starts[i + 1]
            drawn = self._ring(zip(xs[a:b].tolist(), ys[a:b].tolist(), strict=True)) if b > a else ""
            found.append(drawn or self.path(geom))
        return found

    def _ring(self, coords: Iterable[tuple[int, int]]) -> str:
        """A closed ring of pixel points as relative moves; "" when it collapses below 3 points."""
        points: list[tuple[int, int]] = []
        for p in coords:
            if not points or p != points[-1]:
                points.append(p)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        if len(points) < 3:
            return ""
        moves = [_move(x - px, y - py) for (px, py), (x, y) in pairwise(points)]
        return f"M{points[0][0]} {points[0][1]}" + "".join(moves) + "z"


def _move(dx: int, dy: int) -> str:
    """The shortest relative SVG move: `h5`, `v-3` or `l5-3`."""
    if dy == 0:
        return f"h{dx}"
    if dx == 0:
        return f"v{dy}"
    return f"l{dx} {dy}".replace(" -", "-")


def _polygons(geom: BaseGeometry) -> Iterable[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]


def union_bounds(boxes: Iterable[Bounds]) -> Bounds | None:
    """The box around all `boxes` (None for none)."""
    found = list(boxes)
    if not found:
        return None
    return (
        min(b[0] for b in found),
        min(b[1] for b in found),
        max(b[2] for b in found),
        max(b[3] for b in found),
    )
