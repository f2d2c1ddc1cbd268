"""The delivery queue shared by every replica: claim with a lease, record the result under it.

A replica claims due deliveries in one short transaction: `SELECT … FOR UPDATE SKIP LOCKED`
(PostgreSQL; SQLite's single writer needs no row locks) picks rows no other replica is claiming
right now, and each gets `lease_until`, the replica's name and a fresh `lease_token`. The request
is sent outside any transaction; the result is recorded only where the token still matches, so
two replicas never send the same delivery at once, the attempt counter counts each attempt once,
and a replica that dies mid-send (kill -9, lost network) strands nothing: its lease runs out and
the delivery is claimed again, keeping its delivery id (the receiver's dedupe key).

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
from api.services.webhooks import DeliveryPolicy, settle

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


@dataclass(frozen=True)
class Outcome:
    """What recording one attempt did: the delivery's new state, or "lost" when the lease had passed
    to another claim (nothing recorded); `tripped` when this failure opened the breaker."""

    state: str
    tripped: bool = False


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


def _held(session: Session, claim: Claim) -> Delivery | None:
    """The claimed delivery, locked, if the claim still holds its lease."""
    return session.scalars(
        select(Delivery)
        .where(Delivery.id == claim.pk, Delivery.lease_token == claim.lease_token)
        .with_for_update()
    ).one_or_none()


def record(
    *, sessions: Sessions, claim: Claim, result: int | str, policy: DeliveryPolicy, now: datetime
) -> Outcome:
    """Record one attempt's result (an HTTP status or an error) under the claim's lease, release the
    lease, and move the subscription's breaker; "lost" when the lease is no longer this claim's."""
    with sessions() as session:
        begin_write(session)
        delivery = _held(session, claim)
        if delivery is None:
            logger.warning(
                "webhook delivery %s: lease lost before its result was recorded", claim.delivery_id
            )
            return Outcome("lost")
        state = settle(delivery, result, policy, now)
        delivery.lease_until = delivery.lease_owner = delivery.lease_token = None
        tripped = _move_breaker(session, claim.subscription_id, state == "delivered", policy.breaker, now)
        session.commit()
    return Outcome(state, tripped)


def _move_breaker(session: Session, sub_id: int, ok: bool, breaker: BreakerPolicy, now: datetime) -> bool:
    """Close the breaker on success; count a failure and pause when the streak is long enough. True
    when this failure opened (or re-opened) the breaker. Plain UPDATEs: no lock that would block the
    inserts of new deliveries, which only share-lock the subscription's key."""
    sub = Subscription.__table__.c
    if ok:
        session.execute(
            update(Subscription)
            .where(sub.id == sub_id, sub.failure_streak > 0)
            .values(failure_streak=0, paused_until=None)
        )
        return False
    streak = session.execute(
        update(Subscription)
        .where(sub.id == sub_id)
        .values(failure_streak=sub.failure_streak + 1)
        .returning(sub.failure_streak)
    ).scalar_one_or_none()
    pause = breaker.pause_after(streak) if streak is not None else None
    if pause is None:
        return False
    session.execute(
        update(Subscription).where(sub.id == sub_id).values(paused_until=now + timedelta(seconds=pause))
    )
    logger.warning("webhook subscription %d: %d failures in a row, paused for %.0f s", sub_id, streak, pause)
    return True


def park(*, sessions: Sessions, claim: Claim, reason: str) -> str:
    """Set a claimed delivery that cannot be attempted aside as failed, with its reason ("parked")."""
    try:
        with sessions() as session:
            begin_write(session)
            delivery = _held(session, claim)
            if delivery is not None:
                delivery.state, delivery.last_error = "failed", reason[:2000]
                delivery.lease_until = delivery.lease_owner = delivery.lease_token = None
            session.commit()
    except Exception:
        logger.exception("could not park webhook delivery %s", claim.delivery_id)
    return "parked"
