"""Webhooks: subscriptions, the delivery outbox (written in the event's transaction), delivery.

Each delivery is POSTed as JSON with headers `X-GridWatch-Delivery` (stable across retries, for
dedupe), `X-GridWatch-Timestamp` and `X-GridWatch-Signature: sha256=<hex HMAC of "ts.body">`.
Failures are retried with exponential backoff until `max_attempts`: at-least-once delivery.
URLs are checked when subscribing and every connection is checked again at delivery time
(`api.services.webhook_net`). A delivery that fails in an unexpected way is parked as failed with
its reason, and the sweep goes on with the next one. Deliveries of an inactive subscription wait.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.errors import BadInputError
from api.logic.netguard import AddressRefusedError, AllowList
from api.logic.roles import in_scope
from api.orm import Delivery, Event, Subscription
from api.schemas.events import EventOut
from api.security import sign
from api.services.principals import Principal
from api.services.webhook_net import Resolver, check_url, guarded_client, system_resolver

logger = logging.getLogger(__name__)

TOPICS = ("event.opened", "event.status_changed", "event.escalated")


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are retried."""

    max_attempts: int
    backoff_s: float
    timeout_s: float
    allow: AllowList = field(default_factory=AllowList)


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
    for sub in subscriptions:
        if not _matches(sub, event, topic):
            continue
        delivery_id = str(uuid.uuid4())
        event_json = EventOut.model_validate(event).model_dump(mode="json")
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


def _attempt(client: httpx.Client, sub: Subscription, delivery: Delivery, now: datetime) -> int | str:
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-GridWatch-Delivery": delivery.delivery_id,
        "X-GridWatch-Timestamp": timestamp,
        "X-GridWatch-Signature": f"sha256={sign(sub.secret, timestamp, body)}",
    }
    try:
        return client.post(sub.url, content=body, headers=headers).status_code
    except AddressRefusedError as exc:
        return str(exc)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return f"{type(exc).__name__}: {exc}"


def _settle(delivery: Delivery, result: int | str, policy: DeliveryPolicy, now: datetime) -> str:
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


def deliver_due(
    *,
    sessions: sessionmaker[Session],
    policy: DeliveryPolicy,
    now: datetime,
    resolver: Resolver = system_resolver,
    limit: int = 100,
) -> dict[str, int]:
    """Attempt every delivery that is due (of active subscriptions); returns counts by resulting
    state, "parked" for deliveries that failed unexpectedly and were set aside as failed."""
    with sessions() as session:
        due_ids = session.scalars(
            select(Delivery.id)
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(
                Delivery.state == "pending", Delivery.next_attempt_at <= now, Subscription.active.is_(True)
            )
            .order_by(Delivery.id)
            .limit(limit)
        ).all()
    counts: dict[str, int] = {}
    if not due_ids:
        return counts
    with guarded_client(resolver=resolver, allow=policy.allow, timeout_s=policy.timeout_s) as client:
        for delivery_pk in due_ids:
            try:
                state = _deliver_one(sessions, client, delivery_pk, policy, now)
            except Exception as exc:
                logger.exception("webhook delivery #%d failed unexpectedly; parking it", delivery_pk)
                state = _park(sessions, delivery_pk, f"internal error: {type(exc).__name__}: {exc}")
            counts[state] = counts.get(state, 0) + 1
    return counts


def _park(sessions: sessionmaker[Session], pk: int, reason: str) -> str:
    """Set a delivery that cannot be attempted aside as failed, with its reason ("parked")."""
    try:
        with sessions() as session:
            delivery = session.get_one(Delivery, pk)
            delivery.state, delivery.last_error = "failed", reason[:2000]
            session.commit()
    except Exception:
        logger.exception("could not park webhook delivery #%d", pk)
    return "parked"


def _deliver_one(
    sessions: sessionmaker[Session], client: httpx.Client, pk: int, policy: DeliveryPolicy, now: datetime
) -> str:
    """Read, send outside any transaction, then record; a crash in between means a resend (at-least-once)."""
    with sessions() as session:
        delivery = session.get_one(Delivery, pk)
        sub = session.get_one(Subscription, delivery.subscription_id)
    result = _attempt(client, sub, delivery, now)
    with sessions() as session:
        delivery = session.get_one(Delivery, pk)
        state = _settle(delivery, result, policy, now)
        session.commit()
    if state != "delivered":
        logger.warning("webhook delivery %s to %s: %s (%s)", delivery.delivery_id, sub.url, result, state)
    return state
