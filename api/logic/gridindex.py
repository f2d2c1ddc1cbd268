"""Point → 网格 cell lookup over a shapely 2 STRtree held in memory.

Example:
    >>> from shapely.geometry import box
    >>> GridIndex(["A", "B"], [box(0, 0, 1, 1), box(1, 0, 2, 1)]).lookup(1.5, 0.5)
    'B'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry


class GridIndex:
    """An immutable spatial index of cell polygons; rebuild a new one when the grids change."""

    def __init__(self, codes: Sequence[str], polygons: Sequence[BaseGeometry]) -> None:
        if len(codes) != len(polygons):
            raise ValueError(f"{len(codes)} codes but {len(polygons)} polygons")
        self.codes = list(codes)
        self._polygons = np.asarray(polygons, dtype=object)
        self._tree = shapely.STRtree(self._polygons)

    def __len__(self) -> int:
        return len(self.codes)

    def lookup_many(self, lons: npt.ArrayLike, lats: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Index into `codes` of the cell holding each point, -1 where none does (vectorised)."""
        xs = np.atleast_1d(np.asarray(lons, dtype=float))
        points = shapely.points(xs, np.atleast_1d(np.asarray(lats, dtype=float)))
        found = np.full(len(xs), -1, dtype=np.int64)
        if len(self.codes) == 0 or len(xs) == 0:
            return found
        point_idx, cell_idx = self._tree.query(points, predicate="intersects")
        # Pairs come sorted by point; on a shared border the first pair of a point wins.
        first = np.ones(len(point_idx), dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        found[point_idx[first]] = cell_idx[first]
        return found

    def lookup(self, lon: float, lat: float) -> str | None:
        """The code of the cell holding the point, or None outside every cell."""
        index = int(self.lookup_many([lon], [lat])[0])
        return None if index < 0 else self.codes[index]
