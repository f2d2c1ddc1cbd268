"""Sending claimed webhook deliveries: one signed POST each, the result recorded under the lease.

`attempt` is one attempt of one claim (never raises); `deliver_due` is one pass (claim what is due,
send concurrently within the policy's limits, record), for the CLI and tests; the running service
uses `api.jobs.dispatcher.WebhookDispatcher`, which keeps claiming as slots free up.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
from sqlalchemy.orm import Session

from api.logic.netguard import AddressRefusedError
from api.security import sign
from api.services.webhook_net import Resolver, guarded_client, system_resolver
from api.services.webhook_queue import Claim, claim_due
from api.services.webhook_record import Broken, Outcome, Result, record_many
from api.services.webhooks import DeliveryPolicy

logger = logging.getLogger(__name__)

Sessions = Callable[[], Session]


def client_for(policy: DeliveryPolicy, resolver: Resolver) -> httpx.Client:
    """A guarded client with a connection pool large enough for the policy's concurrency."""
    return guarded_client(resolver=resolver, allow=policy.allow, timeout_s=policy.timeout_s)


def send(client: httpx.Client, claim: Claim, now: datetime) -> int | str:
    """POST the delivery, signed; the HTTP status, or the error as text. The answer's body is not
    read: the status line and headers are all it takes, and a receiver that drips a body out slowly
    cannot hold the attempt (or the lease) longer."""
    body = json.dumps(claim.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-GridWatch-Delivery": claim.delivery_id,
        "X-GridWatch-Timestamp": timestamp,
        "X-GridWatch-Signature": f"sha256={sign(claim.secret, timestamp, body)}",
    }
    try:
        with client.stream("POST", claim.url, content=body, headers=headers) as response:
            return response.status_code
    except AddressRefusedError as exc:
        return str(exc)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return f"{type(exc).__name__}: {exc}"


def attempt(client: httpx.Client, claim: Claim, now: Callable[[], datetime]) -> Result:
    """`send`, with an unexpected error turned into `Broken` (the delivery is then parked with its
    reason, and the sender goes on)."""
    try:
        return send(client, claim, now())
    except Exception as exc:
        logger.exception("webhook delivery %s failed unexpectedly; parking it", claim.delivery_id)
        return Broken(f"internal error: {type(exc).__name__}: {exc}")


def log_outcomes(results: Sequence[tuple[Claim, Result]], outcomes: Sequence[Outcome]) -> None:
    """One warning per attempt that did not deliver."""
    for (claim, result), outcome in zip(results, outcomes, strict=True):
        if outcome.state != "delivered":
            logger.warning(
                "webhook delivery %s to %s: %s (%s)", claim.delivery_id, claim.url, result, outcome.state
            )


def deliver_due(
    *,
    sessions: Sessions,
    policy: DeliveryPolicy,
    now: datetime,
    resolver: Resolver = system_resolver,
    limit: int = 100,
) -> dict[str, int]:
    """One pass: claim up to `limit` due deliveries, send them concurrently (within the policy's
    limits), record them; counts by resulting state ("parked": set aside after an unexpected error,
    "lost": the lease had passed to another replica)."""
    claims = claim_due(
        sessions=sessions, policy=policy, now=now, limit=limit, room=lambda _sub: policy.per_subscriber
    )
    if not claims:
        return {}
    with client_for(policy, resolver) as client, ThreadPoolExecutor(policy.concurrency) as pool:
        results = list(
            zip(claims, pool.map(lambda claim: attempt(client, claim, lambda: now), claims), strict=True)
        )
    outcomes = record_many(sessions=sessions, results=results, policy=policy, now=now)
    log_outcomes(results, outcomes)
    return dict(Counter(outcome.state for outcome in outcomes))
