"""Everything a running API instance holds, built once by the app factory and passed down."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.centre import CentreConfig
from api.leader import Leadership
from api.live import ChangeFeed, LocalFeed
from api.logic.gridindex import GridIndex
from api.metrics import ApiMetrics
from api.services.device_tokens import DeviceTokens
from api.services.webhook_net import Resolver, system_resolver
from api.settings import ApiSettings
from api.storage import ObjectStore, open_store
from api.supervisor import Supervisor


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


@dataclass
class ApiContext:
    """Settings, centre config, database and the in-memory state of one API instance."""

    settings: ApiSettings
    centre: CentreConfig
    engine: Engine
    sessions: sessionmaker[Session]
    metrics: ApiMetrics
    grids: GridState = field(default_factory=GridState)
    live: ChangeFeed = field(default_factory=LocalFeed)
    _store: ObjectStore | None = None

    def evidence_store(self) -> ObjectStore:
        """The object store of evidence files, opened on first use."""
        if self._store is None:
            self._store = open_store(self.settings.store_config)
        return self._store

    resolver: Resolver = system_resolver
    """How webhook host names are resolved (tests put a stub here: never a real lookup in tests)."""
    leaders: dict[str, Leadership] = field(default_factory=dict)
    """The jobs only one replica runs at a time, by name: whether this one leads each."""
    supervisor: Supervisor = field(init=False)
    device_tokens: DeviceTokens = field(init=False)

    def __post_init__(self) -> None:
        self.supervisor = Supervisor(
            restart_s=self.settings.job_restart_s,
            on_restart=lambda name: self.metrics.job_restarts.labels(name).inc(),
        )
        self.device_tokens = DeviceTokens(self.sessions, ttl_s=self.settings.device_token_cache_s)
