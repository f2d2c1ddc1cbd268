"""Process settings of the central API, read from the environment (prefix `GRIDWATCH_API_`).

Built by whoever starts the service (CLI, tests); never at import time.

Example:
    >>> ApiSettings(database_url="sqlite:///:memory:").database_url
    'sqlite:///:memory:'
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from api.logic.correlation import ClockWindow
from api.logic.netguard import AllowList
from api.storage import LocalStoreConfig, S3StoreConfig
from gridwatch.contracts.alert import MAX_ALERT_JSON_BYTES, MAX_SNAPSHOT_BYTES
from gridwatch.contracts.clip import MAX_CLIP_BYTES

MIB = 1024 * 1024

NOT_ABOVE = (
    ("clip_chunk_max_bytes", "max_body_bytes"),
    ("webhook_per_subscriber", "webhook_concurrency"),
    ("login_user_slow_after", "login_user_lock_after"),
    ("login_address_slow_after", "login_address_lock_after"),
)
"""Settings that must not exceed another: (setting, its bound)."""


def period(default: float, between: str, *, off: str = "the job") -> Any:
    """A background job's period in seconds, where 0 turns it off."""
    return Field(default=default, ge=0, description=f"Seconds between {between}; 0 turns {off} off")


class ApiSettings(BaseSettings):
    """Where the database is, which centre config to load, and how the background jobs run."""

    model_config = SettingsConfigDict(env_prefix="GRIDWATCH_API_", extra="forbid")

    database_url: str = Field(
        default="sqlite:///gridwatch-api.db",
        description="SQLAlchemy URL; sqlite:///FILE (embedded, WAL) or postgresql+psycopg://...",
    )
    centre_config: Path = Field(
        default=Path("configs/centre.example.yaml"),
        description="Centre YAML: county code, time zone, event types, SLA, holiday calendar",
    )
    migrate_on_start: bool | None = Field(
        default=None, description="Run Alembic upgrade on start; default: yes for SQLite, no otherwise"
    )
    evidence_max_bytes: int = Field(
        default=MAX_SNAPSHOT_BYTES, gt=0, description="Largest evidence snapshot accepted (decoded bytes)"
    )
    evidence_store: LocalStoreConfig | S3StoreConfig | None = Field(
        default=None,
        discriminator="type",
        description='Where clips are kept: {"type": "local", "path": ...} or {"type": "s3", ...}; '
        "default: a folder `<database>-evidence` beside a SQLite file, else ./gridwatch-evidence",
    )
    clip_max_bytes: int = Field(
        default=100 * 1024 * 1024, gt=0, le=MAX_CLIP_BYTES, description="Largest clip accepted"
    )
    clip_chunk_max_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=64 * 1024,
        description="Largest chunk of a clip upload in one request (at most max_body_bytes)",
    )
    retention_days: float = Field(
        default=180.0, gt=0, description="Evidence of events closed/dismissed this long ago is deleted"
    )
    retention_max_gb: float | None = Field(
        default=None, gt=0, description="Total evidence kept; beyond it the oldest deletable goes first"
    )
    retention_interval_s: float = period(3600.0, "retention sweeps")
    max_body_bytes: int = Field(
        default=4 * MIB,
        ge=64 * 1024,
        description=(
            "Largest request body; larger ones get 413 before they are read whole. The default fits "
            f"the largest legitimate alert ({MAX_ALERT_JSON_BYTES} bytes: a 2 MiB snapshot in base64 "
            "and the rest of the contract at its bounds)"
        ),
    )
    grid_import_max_bytes: int = Field(
        default=64 * MIB, ge=64 * 1024, description="Largest body of POST /v1/admin/grids/import"
    )
    observed_past_s: float = Field(
        default=7 * 86400.0,
        gt=0,
        description="An alert observed longer ago than this is flagged, correlated by its received time",
    )
    observed_future_s: float = Field(
        default=300.0,
        ge=0,
        description="An alert observed further ahead than this is flagged, correlated by its received time",
    )
    device_token_cache_s: float = Field(
        default=10.0,
        ge=0,
        description="How long a device token checked before reading an alert body is remembered",
    )
    webhook_allow: str = Field(
        default="",
        description=(
            "Comma-separated hosts and CIDRs that webhooks may reach although private, loopback or "
            "link-local (e.g. 127.0.0.1,10.8.0.0/16,cases.lan); public addresses are always allowed"
        ),
    )
    metrics_token: str | None = Field(
        default=None,
        min_length=16,
        description="When set, /metrics wants 'Authorization: Bearer <this>'; unset: /metrics is open",
    )
    job_restart_s: float = Field(
        default=5.0, gt=0, description="Pause before a background job loop that died is started again"
    )
    batch_max_size: int = Field(
        default=256, ge=1, le=10_000, description="Most alerts written in one group commit"
    )
    location_tolerance_m: float = Field(
        default=200.0,
        gt=0,
        description="An alert whose location lies farther than this from its source's registered one is "
        "flagged (the event stays where the source is registered)",
    )
    heartbeat_timeout_s: float = Field(
        default=90.0, gt=0, description="A box silent this long is offline (a maintenance event opens)"
    )
    heartbeat_history: int = Field(
        default=60, ge=1, le=10_000, description="Heartbeats kept per box (older ones are dropped)"
    )
    fleet_interval_s: float = period(15.0, "offline sweeps of the fleet")
    escalation_interval_s: float = period(60.0, "escalation sweeps")
    webhook_interval_s: float = period(1.0, "looks for due webhook deliveries when idle", off="the sender")
    grid_refresh_s: float = period(5.0, "checks for grids imported elsewhere", off="it")
    map_warm_views: int = Field(
        default=8,
        ge=0,
        le=16,
        description="Map views whose shapes are built in the background at start and after each grid "
        "change, before anyone asks: the whole area's and the widest users' scopes' (0: each view is "
        "built by its first request)",
    )
    webhook_max_attempts: int = Field(default=8, ge=1, description="Attempts before a delivery fails")
    webhook_backoff_s: float = Field(default=2.0, gt=0, description="First retry delay; doubles each time")
    webhook_timeout_s: float = Field(
        default=5.0, gt=0, description="Timeout of each step of one delivery request (connect, send, answer)"
    )
    webhook_concurrency: int = Field(
        default=16, ge=1, le=256, description="Deliveries in flight at once in this replica, all subscribers"
    )
    webhook_per_subscriber: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Deliveries in flight at once in this replica to one subscription",
    )
    webhook_lease_s: float = Field(
        default=60.0,
        gt=0,
        description=(
            "How long a replica's claim on a delivery keeps the others off it; a replica that dies "
            "mid-send loses it after this. Must exceed 3 x webhook_timeout_s (connect, send, answer)"
        ),
    )
    webhook_breaker_failures: int = Field(
        default=5, ge=1, description="Failed attempts in a row that pause a subscription (circuit breaker)"
    )
    webhook_breaker_pause_s: float = Field(
        default=30.0, gt=0, description="How long a failing subscription is paused before one probe"
    )
    escalation_batch: int = Field(
        default=500, ge=1, le=100_000, description="Events the escalation sweep locks and escalates at a time"
    )
    replica_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}"[:64],
        min_length=1,
        max_length=64,
        description="This replica's name on its webhook claims and in /healthz (default host:pid)",
    )
    session_hours: float = Field(
        default=12, gt=0, le=24 * 7, description="Console: a login lasts at most this long (a duty shift)"
    )
    session_idle_minutes: float = Field(
        default=120, gt=0, description="Console: a login unused this long ends (an open queue keeps it alive)"
    )
    cookie_secure: bool | None = Field(
        default=None, description="Console: Secure cookies; default: only when the request came over TLS"
    )
    login_user_slow_after: int = Field(
        default=5, ge=1, description="Failed logins of one user before each further try must wait"
    )
    login_user_lock_after: int = Field(
        default=10, ge=1, description="Failed logins of one user before a lock"
    )
    login_address_slow_after: int = Field(
        default=20, ge=1, description="Failed logins from one address before each further try must wait"
    )
    login_address_lock_after: int = Field(
        default=50, ge=1, description="Failed logins from one address before a lock"
    )
    login_window_minutes: float = Field(
        default=15, gt=0, description="Failures older than this (since the first of a run) are forgotten"
    )
    login_lock_minutes: float = Field(default=15, gt=0, description="How long a lock lasts")

    @model_validator(mode="after")
    def _evidence_within_contract(self) -> ApiSettings:
        if self.evidence_max_bytes > MAX_SNAPSHOT_BYTES:
            raise ValueError(
                f"evidence_max_bytes {self.evidence_max_bytes} exceeds the contract's {MAX_SNAPSHOT_BYTES}"
            )
        return self

    @model_validator(mode="after")
    def _lease_outlives_an_attempt(self) -> ApiSettings:
        if self.webhook_lease_s <= 3 * self.webhook_timeout_s:
            raise ValueError(
                f"webhook_lease_s {self.webhook_lease_s} must exceed 3 x webhook_timeout_s "
                f"({3 * self.webhook_timeout_s}): a claim must outlive the attempt it covers"
            )
        return self

    @model_validator(mode="after")
    def _bounded_by_another(self) -> ApiSettings:
        for field, bound in NOT_ABOVE:
            value, limit = getattr(self, field), getattr(self, bound)
            if value > limit:
                raise ValueError(f"{field} {value} exceeds {bound} {limit}")
        return self

    @field_validator("webhook_allow")
    @classmethod
    def _allow_list_parses(cls, value: str) -> str:
        AllowList.parse(value)
        return value

    @property
    def webhook_allow_list(self) -> AllowList:
        """`webhook_allow`, parsed."""
        return AllowList.parse(self.webhook_allow)

    @property
    def clock_window(self) -> ClockWindow:
        """The window around the centre's clock in which `observed_at` is believed."""
        return ClockWindow(timedelta(seconds=self.observed_past_s), timedelta(seconds=self.observed_future_s))

    @property
    def store_config(self) -> LocalStoreConfig | S3StoreConfig:
        """The evidence store: as configured, else a local folder (beside a SQLite database file)."""
        if self.evidence_store is not None:
            return self.evidence_store
        database = make_url(self.database_url).database if self.is_sqlite else None
        if database and database != ":memory:":
            path = Path(database)
            return LocalStoreConfig(path=path.with_name(f"{path.stem}-evidence"))
        return LocalStoreConfig()

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite."""
        return self.database_url.startswith("sqlite")

    @property
    def should_migrate_on_start(self) -> bool:
        """Whether start-up runs the migrations (explicit setting, else SQLite only)."""
        return self.is_sqlite if self.migrate_on_start is None else self.migrate_on_start
