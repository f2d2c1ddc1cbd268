"""Webhooks: subscriptions, the delivery outbox (written in the event's transaction), delivery.

Each delivery is POSTed as JSON with headers `X-GridWatch-Delivery` (stable across retries, for
dedupe), `X-GridWatch-Timestamp` and `X-GridWatch-Signature: sha256=<hex HMAC of "ts.body">`.
Failures are retried with exponential backoff until `max_attempts`: at-least-once delivery.
URLs are checked when subscribing and every connection is checked again at delivery time
(`api.services.webhook_net`). Deliveries of an inactive subscription wait. Sending is in
`api.services.webhook_send`, claiming and recording (shared by every replica) in
`api.services.webhook_queue`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import BadInputError
from api.logic.breaker import BreakerPolicy
from api.logic.netguard import AddressRefusedError, AllowList
from api.logic.roles import in_scope
from api.orm import Delivery, Event, Subscription
from api.schemas.events import EventOut
from api.schemas.webhooks import TOPICS
from api.services.principals import Principal
from api.services.webhook_net import Resolver, check_url, system_resolver

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are retried, leased, spread over subscribers and cut off from failing ones
    (built from the settings by `api.jobs.units.delivery_policy`, where each is described)."""

    max_attempts: int
    backoff_s: float
    timeout_s: float
    allow: AllowList
    lease_s: float
    """How long a claim keeps other replicas off a delivery (longer than any one attempt)."""
    concurrency: int
    """Attempts in flight at once in this replica, all subscribers together."""
    per_subscriber: int
    """Attempts in flight at once in this replica to one subscriber."""
    breaker: BreakerPolicy
    owner: str
    """This replica's name, written on its claims."""


def create_subscription(
    *,
    session: Session,
    owner: Principal,
    url: str,
    secret: str,
    event_types: Sequence[str] = (),
    topics: Sequence[str] = (),
    now: datetime,
    allow: AllowList,
    resolver: Resolver = system_resolver,
) -> Subscription:
    """Subscribe `url` to changes of events inside the owner's scope; 422 for a refused URL."""
    try:
        check_url(url, resolver=resolver, allow=allow)
    except AddressRefusedError as exc:
        raise BadInputError(str(exc), loc=("body", "url")) from None
    unknown = sorted(set(topics) - set(TOPICS))
    if unknown:
        raise BadInputError(f"topics {unknown} are not among {list(TOPICS)}", loc=("body", "topics"))
    sub = Subscription(
        owner_id=owner.user_id,
        url=url,
        secret=secret,
        scope_path=owner.scope_path,
        event_types=list(event_types),
        topics=list(topics),
        active=True,
        created_at=now,
    )
    session.add(sub)
    session.flush()
    return sub


def _matches(sub: Subscription, event: Event, topic: str) -> bool:
    return (
        sub.active
        and in_scope(sub.scope_path, event.grid_path)
        and (not sub.event_types or event.type_code in sub.event_types)
        and (not sub.topics or topic in sub.topics)
    )


def active_subscriptions(*, session: Session) -> list[Subscription]:
    """All active subscriptions (loaded once per batch or action)."""
    return list(session.scalars(select(Subscription).where(Subscription.active.is_(True))))


def enqueue(
    *, session: Session, event: Event, topic: str, subscriptions: Sequence[Subscription], now: datetime
) -> int:
    """Owe one delivery of `event` to every matching subscription, in the caller's transaction."""
    owed = 0
    event_json: dict[str, object] | None = None
    for sub in subscriptions:
        if not _matches(sub, event, topic):
            continue
        delivery_id = str(uuid.uuid4())
        event_json = event_json or EventOut.model_validate(event).model_dump(mode="json")
        payload = {"delivery_id": delivery_id, "topic": topic, "event": event_json}
        session.add(
            Delivery(
                delivery_id=delivery_id,
                subscription_id=sub.id,
                event_id=event.id,
                topic=topic,
                payload=payload,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        owed += 1
    return owed


def settle(delivery: Delivery, result: int | str, policy: DeliveryPolicy, now: datetime) -> str:
    """Count one attempt with its result (HTTP status or error): delivered, pending (retry later with
    backoff) or failed (out of attempts); returns the new state."""
    delivery.attempts += 1
    ok = isinstance(result, int) and 200 <= result < 300
    delivery.last_status = result if isinstance(result, int) else None
    delivery.last_error = "" if ok else str(result)
    if ok:
        delivery.state, delivery.delivered_at = "delivered", now
    elif delivery.attempts >= policy.max_attempts:
        delivery.state = "failed"
    else:
        delay = policy.backoff_s * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = now + timedelta(seconds=delay)
    return delivery.state
