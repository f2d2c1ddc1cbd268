"""The centre's in-memory cell index, swapped whole when grids are imported."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from api.logic.gridindex import GridIndex


@dataclass
class GridState:
    """The in-memory cell index and each cell's grid path; swapped whole on import."""

    index: GridIndex = field(default_factory=lambda: GridIndex([], []))
    paths: dict[str, str] = field(default_factory=dict)
    revision: int = -1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def replace(self, index: GridIndex, paths: dict[str, str], revision: int) -> None:
        """Swap in a freshly built index, built from grid revision `revision`."""
        with self.lock:
            self.index, self.paths, self.revision = index, paths, revision

    def locate(self, lon: float, lat: float) -> tuple[str | None, str | None]:
        """(cell code, grid path) of the cell holding the point, or (None, None)."""
        return self.locate_many([lon], [lat])[0]

    def locate_many(
        self, lons: Sequence[float], lats: Sequence[float]
    ) -> list[tuple[str | None, str | None]]:
        """`locate` for many points in one vectorised index query."""
        with self.lock:
            index, paths = self.index, self.paths
        found = index.lookup_many(lons, lats)
        codes = [None if i < 0 else index.codes[i] for i in found.tolist()]
        return [(code, paths[code]) if code is not None else (None, None) for code in codes]
