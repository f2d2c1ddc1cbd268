"""Everything a running API instance holds, built once by the app factory and passed down."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.centre import CentreConfig
from api.logic.gridindex import GridIndex
from api.metrics import ApiMetrics
from api.settings import ApiSettings


@dataclass
class GridState:
    """The in-memory cell index and each cell's grid path; swapped whole on import."""

    index: GridIndex = field(default_factory=lambda: GridIndex([], []))
    paths: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def replace(self, index: GridIndex, paths: dict[str, str]) -> None:
        """Swap in a freshly built index."""
        with self.lock:
            self.index, self.paths = index, paths

    def locate(self, lon: float, lat: float) -> tuple[str | None, str | None]:
        """(cell code, grid path) of the cell holding the point, or (None, None)."""
        with self.lock:
            index, paths = self.index, self.paths
        code = index.lookup(lon, lat)
        return (code, paths[code]) if code is not None else (None, None)


@dataclass
class ApiContext:
    """Settings, centre config, database and the in-memory state of one API instance."""

    settings: ApiSettings
    centre: CentreConfig
    engine: Engine
    sessions: sessionmaker[Session]
    metrics: ApiMetrics
    grids: GridState = field(default_factory=GridState)
