"""Prometheus metrics of one API instance, on its own registry (no process globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class ApiMetrics:
    """Counters and histograms exported at /metrics."""

    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        self.alerts = Counter(
            "gridwatch_alerts_total", "Alerts posted, by outcome", ["outcome"], registry=self.registry
        )
        self.alerts_refused = Counter(
            "gridwatch_alerts_refused_total",
            "Alerts refused after parsing, by reason (unknown_source: not in the box's inventory)",
            ["reason"],
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "gridwatch_alert_batch_size",
            "Alerts per group commit",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )
        self.escalations = Counter(
            "gridwatch_escalations_total", "督办 records written", registry=self.registry
        )
        self.job_failures = Counter(
            "gridwatch_job_failures_total",
            "Runs of a background job that raised (the loop goes on)",
            ["job"],
            registry=self.registry,
        )
        self.job_item_failures = Counter(
            "gridwatch_job_item_failures_total",
            "Items a background job set aside after an unexpected error (event, delivery)",
            ["job"],
            registry=self.registry,
        )
        self.job_restarts = Counter(
            "gridwatch_job_restarts_total",
            "Background loops that died and were started again",
            ["job"],
            registry=self.registry,
        )
        self.webhook_attempts = Counter(
            "gridwatch_webhook_attempts_total",
            "Webhook attempts, by result",
            ["result"],
            registry=self.registry,
        )
        self.webhook_inflight = Gauge(
            "gridwatch_webhook_inflight", "Webhook attempts in flight in this replica", registry=self.registry
        )
        self.webhook_delay = Histogram(
            "gridwatch_webhook_delivery_seconds",
            "From an event change to its webhook delivery (its rate is the delivery rate)",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 7200),
            registry=self.registry,
        )
        self.webhook_breaker_trips = Counter(
            "gridwatch_webhook_breaker_trips_total",
            "Failed attempts that paused their subscription (circuit breaker opened)",
            registry=self.registry,
        )
        self.live_reconnects = Counter(
            "gridwatch_live_reconnects_total",
            "Times the listener for other replicas' live changes connected again (pages were refreshed)",
            registry=self.registry,
        )
        self.map_warm_revision = Gauge(
            "gridwatch_map_warm_revision",
            "Grid revision whose default map views are built (-1 before the first warm-up)",
            registry=self.registry,
        )
        self.map_warm_revision.set(-1)
        self.leader = Gauge(
            "gridwatch_leader",
            "1 while this replica leads the job (advisory lock held), else 0",
            ["job"],
            registry=self.registry,
        )
        self.console_logins = Counter(
            "gridwatch_console_logins_total",
            "Console login attempts, by result (ok, failed, throttled, locked)",
            ["result"],
            registry=self.registry,
        )
        self.console_lockouts = Counter(
            "gridwatch_console_lockouts_total",
            "Console login locks started, by what was locked (user, address)",
            ["kind"],
            registry=self.registry,
        )
        self.console_live_clients = Gauge(
            "gridwatch_console_live_clients",
            "Console pages listening for live changes",
            registry=self.registry,
        )
