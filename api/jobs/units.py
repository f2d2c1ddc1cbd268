"""Units of work over the context: each opens its own session and commits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from api.context import ApiContext
from api.db import try_begin_write
from api.errors import ApiError
from api.live import commit_and_publish
from api.logic.breaker import BreakerPolicy
from api.services.escalation import escalate_batch
from api.services.grids import grid_revision, load_index
from api.services.ingest import Accepted, IngestItem, ingest_batch
from api.services.retention import RetentionPolicy, RetentionReport, drop_abandoned_uploads, sweep
from api.services.webhook_send import deliver_due
from api.services.webhooks import DeliveryPolicy
from api.settings import ApiSettings

logger = logging.getLogger(__name__)


def store_alerts(
    ctx: ApiContext,
    items: Sequence[IngestItem],
    *,
    wait: bool = True,
    sessions: Callable[[], Session] | None = None,
) -> list[Accepted | ApiError]:
    """Ingest one batch and commit it; answers are valid only after this returns.

    With `wait=False` it raises `WriteLockBusyError`, having stored nothing, when another writer holds
    SQLite's write lock, instead of waiting for it. `sessions` defaults to the context's.
    """
    with (sessions or ctx.sessions)() as session:
        if not wait:
            try_begin_write(session)
        results = ingest(ctx, session, items, datetime.now(UTC))
        commit_and_publish(session, ctx.live)
    return results


def ingest(
    ctx: ApiContext, session: Session, items: Sequence[IngestItem], now: datetime
) -> list[Accepted | ApiError]:
    """`ingest_batch` with this centre's config, grid index and limits (not committed)."""
    settings = ctx.settings
    return ingest_batch(
        session=session,
        centre=ctx.centre,
        grids=ctx.grids,
        evidence_max_bytes=settings.evidence_max_bytes,
        items=items,
        now=now,
        clock=settings.clock_window,
        tolerance_m=settings.location_tolerance_m,
    )


def run_escalation(ctx: ApiContext, now: datetime | None = None) -> int:
    """One escalation sweep in batches of `escalation_batch` events, each batch committed on its own;
    returns the number of 督办 records written."""
    failed = ctx.metrics.job_item_failures.labels("escalation")
    at = now or datetime.now(UTC)
    after_id, written = 0, 0
    while True:
        with ctx.sessions() as session:
            batch = escalate_batch(
                session=session,
                now=at,
                after_id=after_id,
                limit=ctx.settings.escalation_batch,
                on_error=lambda _code, _exc: failed.inc(),
            )
            commit_and_publish(session, ctx.live)
        written += len(batch.written)
        if batch.events < ctx.settings.escalation_batch:
            break
        after_id = batch.last_id
    ctx.metrics.escalations.inc(written)
    if written:
        logger.info("escalation: %d 督办 records written", written)
    return written


def delivery_policy(settings: ApiSettings) -> DeliveryPolicy:
    """How this replica sends webhooks, from its settings."""
    return DeliveryPolicy(
        max_attempts=settings.webhook_max_attempts,
        backoff_s=settings.webhook_backoff_s,
        timeout_s=settings.webhook_timeout_s,
        allow=settings.webhook_allow_list,
        lease_s=settings.webhook_lease_s,
        concurrency=settings.webhook_concurrency,
        per_subscriber=settings.webhook_per_subscriber,
        breaker=BreakerPolicy(
            failures=settings.webhook_breaker_failures, pause_s=settings.webhook_breaker_pause_s
        ),
        owner=settings.replica_id,
    )


def run_deliveries(ctx: ApiContext, now: datetime | None = None) -> dict[str, int]:
    """One pass over the webhook deliveries that are due (the CLI's and the tests' way; the service
    runs `api.jobs.dispatcher.WebhookDispatcher`)."""
    counts = deliver_due(
        sessions=ctx.sessions,
        policy=delivery_policy(ctx.settings),
        now=now or datetime.now(UTC),
        resolver=ctx.resolver,
    )
    for state, n in counts.items():
        ctx.metrics.webhook_attempts.labels(state).inc(n)
    if counts.get("parked"):
        ctx.metrics.job_item_failures.labels("webhooks").inc(counts["parked"])
    return counts


def run_retention(ctx: ApiContext, now: datetime | None = None) -> RetentionReport:
    """One retention sweep over the evidence, committed."""
    settings = ctx.settings
    max_bytes = None if settings.retention_max_gb is None else int(settings.retention_max_gb * 1024**3)
    policy = RetentionPolicy(days=settings.retention_days, max_bytes=max_bytes)
    with ctx.sessions() as session:
        at = now or datetime.now(UTC)
        report = sweep(session=session, policy=policy, now=at)
        abandoned = drop_abandoned_uploads(session=session, now=at)
        session.commit()
    store = ctx.evidence_store()
    for key in report.keys + [key for prefix in abandoned for key in store.keys(prefix)]:
        store.delete(key)
    return report


def reload_grids(ctx: ApiContext) -> int:
    """Rebuild the in-memory cell index from the database."""
    with ctx.sessions() as session:
        return load_index(session=session, state=ctx.grids)


def refresh_grids(ctx: ApiContext) -> bool:
    """Reload the index when another process (e.g. `gridwatch api import-grids`) changed the grids."""
    with ctx.sessions() as session:
        if grid_revision(session=session) == ctx.grids.revision:
            return False
        cells = load_index(session=session, state=ctx.grids)
    logger.info("grids changed elsewhere: index rebuilt with %d cells", cells)
    return True
