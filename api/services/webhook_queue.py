"""The delivery queue shared by every replica: claim with a lease, record the result under it.

A replica claims due deliveries in one short transaction: `SELECT … FOR UPDATE SKIP LOCKED`
(PostgreSQL; SQLite's single writer needs no row locks) picks rows no other replica is claiming
right now, and each gets `lease_until`, the replica's name and a fresh `lease_token`. The request
is sent outside any transaction; the result is recorded (`api.services.webhook_record`) only where
the token still matches, so two replicas never send the same delivery at once, the attempt counter
counts each attempt once, and a replica that dies mid-send (kill -9, lost network) strands
nothing: its lease runs out and the delivery is claimed again, keeping its delivery id (the
receiver's dedupe key).

Claims are fair between subscriptions: at most `room` per subscription (the caller's concurrency
limit) in a round-robin order, and none for a subscription whose circuit breaker is open
(`api.logic.breaker`); when its pause ends one replica alone wins a single probe.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from api.db import begin_write
from api.logic.breaker import BreakerPolicy, Gate
from api.orm import Delivery, Subscription
from api.services.webhooks import DeliveryPolicy

logger = logging.getLogger(__name__)

Sessions = Callable[[], Session]


@dataclass(frozen=True)
class Claim:
    """One delivery leased to this replica, with all it takes to send it (no session needed)."""

    pk: int
    delivery_id: str
    subscription_id: int
    url: str
    secret: str
    payload: dict[str, Any]
    created_at: datetime
    lease_token: str


def _claimable(now: datetime) -> Any:
    return and_(
        Delivery.state == "pending",
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now),
    )


def _rooms(
    session: Session, room: Callable[[int], int], breaker: BreakerPolicy, now: datetime
) -> tuple[dict[int, int], set[int]]:
    """Per active subscription: how many it may be given now, and which of them would be probes."""
    rooms: dict[int, int] = {}
    probes: set[int] = set()
    rows = session.execute(
        select(Subscription.id, Subscription.failure_streak, Subscription.paused_until).where(
            Subscription.active.is_(True)
        )
    ).all()
    for sub_id, streak, paused_until in rows:
        gate = breaker.gate(streak=streak, paused_until=paused_until, now=now)
        if gate is Gate.PAUSED or room(sub_id) <= 0:
            continue
        rooms[sub_id] = 1 if gate is Gate.PROBE else room(sub_id)
        if gate is Gate.PROBE:
            probes.add(sub_id)
    return rooms, probes


def _lock_due(session: Session, sub_id: int, n: int, now: datetime) -> list[Delivery]:
    """Lock the subscription's oldest `n` claimable deliveries that no one else is claiming right now
    (`SKIP LOCKED`: rows another replica has locked are passed over, so replicas claiming at the same
    moment take different rows instead of queueing behind each other)."""
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.subscription_id == sub_id, _claimable(now))
            .order_by(Delivery.id)
            .limit(n)
            .with_for_update(skip_locked=True)
        )
    )


def _round_robin(per_sub: Mapping[int, list[Delivery]], limit: int) -> list[Delivery]:
    """Up to `limit` deliveries, one of each subscription in turn, oldest first within each."""
    taken: list[Delivery] = []
    for rank in range(max((len(v) for v in per_sub.values()), default=0)):
        taken += [rows[rank] for rows in per_sub.values() if rank < len(rows)]
    return taken[:limit]


def _win_probe(session: Session, sub_id: int, breaker: BreakerPolicy, hold: timedelta, now: datetime) -> bool:
    """Take the one probe of a subscription whose pause is over; False when another replica has it."""
    won = session.execute(
        update(Subscription)
        .where(
            Subscription.id == sub_id,
            Subscription.failure_streak >= breaker.failures,
            or_(Subscription.paused_until.is_(None), Subscription.paused_until <= now),
        )
        .values(paused_until=now + hold)
        .returning(Subscription.id)
    ).first()
    return won is not None


def claim_due(
    *,
    sessions: Sessions,
    policy: DeliveryPolicy,
    now: datetime,
    limit: int,
    room: Callable[[int], int],
) -> list[Claim]:
    """Lease up to `limit` due deliveries to this replica (`policy.owner`), at most `room(sub)` of one
    subscription, none of a paused one and a single probe of one whose pause is over."""
    if limit <= 0:
        return []
    lease = timedelta(seconds=policy.lease_s)
    with sessions() as session:
        if session.scalar(select(Delivery.id).where(_claimable(now)).limit(1)) is None:
            return []  # idle: a plain read, no write lock (SQLite) and no row locks
        begin_write(session)
        rooms, probes = _rooms(session, room, policy.breaker, now)
        locked = {sub_id: _lock_due(session, sub_id, min(n, limit), now) for sub_id, n in rooms.items()}
        locked = {sub_id: rows for sub_id, rows in locked.items() if rows}
        for sub_id in probes & set(locked):
            if not _win_probe(session, sub_id, policy.breaker, lease, now):
                del locked[sub_id]
        chosen = _round_robin(locked, limit)
        if not chosen:
            return []
        subs = {s.id: s for s in session.scalars(select(Subscription).where(Subscription.id.in_(locked)))}
        claims = [_lease(d, subs[d.subscription_id], policy.owner, now + lease) for d in chosen]
        session.commit()
    return claims


def _lease(delivery: Delivery, sub: Subscription, owner: str, until: datetime) -> Claim:
    token = secrets.token_hex(16)
    delivery.lease_until, delivery.lease_owner, delivery.lease_token = until, owner, token
    return Claim(
        pk=delivery.id,
        delivery_id=delivery.delivery_id,
        subscription_id=sub.id,
        url=sub.url,
        secret=sub.secret,
        payload=delivery.payload,
        created_at=delivery.created_at,
        lease_token=token,
    )
