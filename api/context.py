"""Everything a running API instance holds, built once by the app factory and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.centre import CentreConfig
from api.leader import Leadership
from api.live import ChangeFeed, LocalFeed
from api.logic.gridstate import GridState
from api.metrics import ApiMetrics
from api.services.box_config import BoxCheck, no_box_check
from api.services.device_tokens import DeviceTokens
from api.services.gridmap_layer import LayerCache
from api.services.webhook_net import Resolver, system_resolver
from api.settings import ApiSettings
from api.storage import ObjectStore, open_store
from api.supervisor import Supervisor


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
    map_layers: LayerCache = field(default_factory=LayerCache)
    """The grid map's built shapes, per grid revision and shown node (`api.jobs.map_warm` fills it)."""
    _store: ObjectStore | None = None

    def evidence_store(self) -> ObjectStore:
        """The object store of evidence files, opened on first use."""
        if self._store is None:
            self._store = open_store(self.settings.store_config)
        return self._store

    box_check: BoxCheck = no_box_check
    """How a box configuration is validated: the edge's model, wired in by `gridwatch api`."""
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
