"""Grid polygons as SVG paths: simplified per zoom level, every cell kept, no datum shift."""

from __future__ import annotations

import math
import re

import pytest

from api.logic.mapgeom import Frame
from gridwatch.gridgen import generate_grid

COUNTY = generate_grid(townships=7, villages=61, cells=100, cell_size=0.001)
CELLS = [f for f in COUNTY["features"] if f["properties"]["level"] == "网格"]


def _circle(n: int, radius: float = 0.01) -> dict[str, object]:
    ring = [[118.7 + radius * math.cos(2 * math.pi * i / n), 32.0 + radius * math.sin(2 * math.pi * i / n)]
            for i in range(n)]  # fmt: skip
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _vertices(d: str) -> int:
    return len(re.findall(r"[MLlhvHV]", d))


def test_every_one_of_42700_cells_gets_a_shape_at_county_zoom() -> None:
    frame = Frame.fit((118.7, 32.0, 118.77, 32.61))
    paths = [frame.path(c["geometry"]) for c in CELLS]
    assert len(paths) == 42_700
    assert all(p.startswith("M") and p.endswith("z") for p in paths)
    assert sum(len(p) for p in paths) / len(paths) < 30


@pytest.mark.parametrize(
    ("bounds", "most"), [((118.69, 31.99, 118.71, 32.01), 400), ((118.0, 31.0, 120.0, 33.0), 8)]
)
def test_detail_follows_the_zoom_level(bounds: tuple[float, float, float, float], most: int) -> None:
    d = Frame.fit(bounds).path(_circle(400))
    assert 3 <= _vertices(d) <= most
    if most == 8:
        assert _vertices(d) < 20


def test_points_stay_where_they_were_imported_no_offset() -> None:
    frame = Frame.fit((118.7, 32.0, 118.8, 32.1))
    x, y = frame.xy(118.75, 32.05)
    lon = frame.west + x / (frame.scale * frame.kx)
    lat = frame.north - y / frame.scale
    assert abs(lon - 118.75) < 1 / frame.scale
    assert abs(lat - 32.05) < 1 / frame.scale
