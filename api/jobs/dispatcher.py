"""This replica's webhook sender: keeps its delivery slots busy, each subscriber within its share.

It claims due deliveries (`api.services.webhook_queue`: shared by every replica, leased, fair
between subscriptions, nothing for a subscriber whose breaker is open) whenever a slot is free,
sends each in a worker thread (at most `concurrency` at once, at most `per_subscriber` to one
subscription) and records what has finished together, in one transaction per round. A subscriber
that answers slowly or never holds only its own slots until its timeout (and then its breaker
pauses it); the others' deliveries go on in the remaining slots. When idle it looks again every
`interval_s`, or at once when `wake()` is called.

Counted in /metrics: attempts by result, deliveries in flight, the delay from an event change to
its delivery (`gridwatch_webhook_delivery_seconds`: its rate is the delivery rate), breaker trips.

Example:
    >>> dispatcher = WebhookDispatcher(sessions, policy, resolver, metrics, interval_s=1.0)  # doctest: +SKIP
    >>> supervisor.start("webhooks", dispatcher.run)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from sqlalchemy.orm import Session

from api.metrics import ApiMetrics
from api.services.webhook_net import Resolver
from api.services.webhook_queue import Claim, claim_due
from api.services.webhook_record import Outcome, Result, record_many
from api.services.webhook_send import attempt, client_for, log_outcomes
from api.services.webhooks import DeliveryPolicy

logger = logging.getLogger(__name__)

T = TypeVar("T")

Sessions = Callable[[], Session]


def _now() -> datetime:
    return datetime.now(UTC)


async def _in_thread(call: Callable[..., T], /, **kwargs: Any) -> T:
    """`call(**kwargs)` in a worker thread; if cancelled meanwhile, wait for the thread to finish
    before giving up, so its database work ends (and its connection goes back) before shutdown
    disposes of the engine."""
    work = asyncio.ensure_future(asyncio.to_thread(call, **kwargs))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        await asyncio.wait([work])
        raise


class WebhookDispatcher:
    """See the module docstring."""

    def __init__(
        self,
        sessions: Sessions,
        policy: DeliveryPolicy,
        resolver: Resolver,
        metrics: ApiMetrics,
        *,
        interval_s: float,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._resolver = resolver
        self._metrics = metrics
        self._interval_s = interval_s
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Look for due deliveries now (from any thread): this replica has just owed some."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None:
            loop.call_soon_threadsafe(event.set)

    async def run(self) -> None:
        """Claim, send and record until cancelled; sends in flight then finish and are recorded."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        pool = ThreadPoolExecutor(self._policy.concurrency, thread_name_prefix="webhook")
        client = client_for(self._policy, self._resolver)
        inflight: dict[asyncio.Future[Result], Claim] = {}
        try:
            while True:
                await self._claim_into(pool, client, inflight)
                await self._record(await self._finished(inflight))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            if inflight:
                await asyncio.wait(list(inflight), timeout=3 * self._policy.timeout_s + 1)
                await self._record([(c, f.result()) for f, c in inflight.items() if f.done()])
            client.close()
            self._metrics.webhook_inflight.set(0)

    async def _claim_into(
        self, pool: ThreadPoolExecutor, client: httpx.Client, inflight: dict[asyncio.Future[Result], Claim]
    ) -> None:
        free = self._policy.concurrency - len(inflight)
        if free <= 0:
            return
        per_sub = Counter(claim.subscription_id for claim in inflight.values())
        try:
            claims = await _in_thread(
                claim_due,
                sessions=self._sessions,
                policy=self._policy,
                now=_now(),
                limit=free,
                room=lambda sub_id: self._policy.per_subscriber - per_sub[sub_id],
            )
        except Exception:
            logger.exception("could not claim webhook deliveries; trying again in %.1f s", self._interval_s)
            self._metrics.job_failures.labels("webhooks").inc()
            return
        loop = asyncio.get_running_loop()
        for claim in claims:
            inflight[loop.run_in_executor(pool, attempt, client, claim, _now)] = claim
        self._metrics.webhook_inflight.set(len(inflight))

    async def _finished(self, inflight: dict[asyncio.Future[Result], Claim]) -> list[tuple[Claim, Result]]:
        """Wait until a send finishes, `wake()` is called or `interval_s` passes; what has finished."""
        assert self._wake is not None
        waker = asyncio.ensure_future(self._wake.wait())
        watched: set[asyncio.Future[Any]] = {waker, *inflight}
        try:
            await asyncio.wait(watched, timeout=self._interval_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
        self._wake.clear()
        done = [(inflight.pop(future), future.result()) for future in [f for f in inflight if f.done()]]
        self._metrics.webhook_inflight.set(len(inflight))
        return done

    async def _record(self, results: list[tuple[Claim, Result]]) -> None:
        """Record what has finished, all in one transaction, and count it."""
        if not results:
            return
        outcomes = await _in_thread(
            record_many, sessions=self._sessions, results=results, policy=self._policy, now=_now()
        )
        log_outcomes(results, outcomes)
        for (claim, _result), outcome in zip(results, outcomes, strict=True):
            self._count(claim, outcome)

    def _count(self, claim: Claim, outcome: Outcome) -> None:
        self._metrics.webhook_attempts.labels(outcome.state).inc()
        if outcome.state == "parked":
            self._metrics.job_item_failures.labels("webhooks").inc()
        if outcome.state == "delivered":
            self._metrics.webhook_delay.observe((_now() - claim.created_at).total_seconds())
        if outcome.tripped:
            self._metrics.webhook_breaker_trips.inc()
