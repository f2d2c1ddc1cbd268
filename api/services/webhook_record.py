"""Recording webhook attempts under their leases, many in one transaction, and moving breakers.

A replica sends several deliveries at once and records whatever has finished together: one
transaction (one commit) for all of them rather than one each. Each result is written only if the
claim still holds its lease (its token); the delivery's lease is released; each subscription's
circuit breaker (`api.logic.breaker`) moves once for the batch. Should the batch fail to record,
each result is recorded on its own, and one that still fails is parked as failed with its reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db import begin_write
from api.logic.breaker import BreakerPolicy
from api.orm import Delivery, Subscription
from api.services.webhook_queue import Claim
from api.services.webhooks import DeliveryPolicy, settle

logger = logging.getLogger(__name__)

Sessions = Callable[[], Session]


@dataclass(frozen=True)
class Broken:
    """An attempt that could not be made at all (an unexpected error, not the receiver's answer)."""

    reason: str


Result = int | str | Broken
"""An HTTP status, a transport error as text, or an attempt that broke."""


@dataclass(frozen=True)
class Outcome:
    """What recording one attempt did: the delivery's new state ("parked" for a broken attempt), or
    "lost" when the lease had passed to another claim (nothing recorded); `tripped` when this
    failure opened its subscription's breaker."""

    state: str
    tripped: bool = False


def record_many(
    *, sessions: Sessions, results: Sequence[tuple[Claim, Result]], policy: DeliveryPolicy, now: datetime
) -> list[Outcome]:
    """Record finished attempts in one transaction (each on its own if that fails); one outcome each."""
    if not results:
        return []
    try:
        with sessions() as session:
            begin_write(session)
            outcomes = _record_all(session, results, policy, now)
            session.commit()
        return outcomes
    except Exception:
        if len(results) == 1:
            logger.exception("could not record webhook delivery %s; parking it", results[0][0].delivery_id)
            return [_park(sessions, results[0][0])]
        logger.exception("could not record %d webhook attempts together; one at a time", len(results))
        return [
            o
            for one in results
            for o in record_many(sessions=sessions, results=[one], policy=policy, now=now)
        ]


def record(
    *, sessions: Sessions, claim: Claim, result: Result, policy: DeliveryPolicy, now: datetime
) -> Outcome:
    """Record one attempt (see `record_many`)."""
    return record_many(sessions=sessions, results=[(claim, result)], policy=policy, now=now)[0]


def _record_all(
    session: Session, results: Sequence[tuple[Claim, Result]], policy: DeliveryPolicy, now: datetime
) -> list[Outcome]:
    held = {
        d.lease_token: d
        for d in session.scalars(
            select(Delivery)
            .where(
                Delivery.id.in_([claim.pk for claim, _ in results]),
                Delivery.lease_token.in_([claim.lease_token for claim, _ in results]),
            )
            .with_for_update()
        )
    }
    states: list[str] = []
    oks: dict[int, list[bool]] = {}
    for claim, result in results:
        delivery = held.get(claim.lease_token)
        if delivery is None:
            logger.warning(
                "webhook delivery %s: lease lost before its result was recorded", claim.delivery_id
            )
            states.append("lost")
            continue
        delivery.lease_until = delivery.lease_owner = delivery.lease_token = None
        if isinstance(result, Broken):
            delivery.state, delivery.last_error = "failed", result.reason[:2000]
            states.append("parked")
            continue
        states.append(settle(delivery, result, policy, now))
        oks.setdefault(claim.subscription_id, []).append(states[-1] == "delivered")
    tripped = _move_breakers(session, oks, policy.breaker, now)
    return _outcomes(results, states, tripped)


def _outcomes(results: Sequence[tuple[Claim, Result]], states: list[str], tripped: set[int]) -> list[Outcome]:
    """One outcome per result; `tripped` on the last failure of each subscription whose breaker opened."""
    outcomes = [Outcome(state) for state in states]
    for i in reversed(range(len(results))):
        sub_id = results[i][0].subscription_id
        if sub_id in tripped and states[i] not in ("delivered", "lost", "parked"):
            outcomes[i] = Outcome(states[i], tripped=True)
            tripped = tripped - {sub_id}
    return outcomes


def _move_breakers(
    session: Session, oks: Mapping[int, list[bool]], breaker: BreakerPolicy, now: datetime
) -> set[int]:
    """Per subscription, its attempts' successes in the order they finished: a success closes the
    breaker, failures after the last success (or since the last batch) lengthen the streak, which
    pauses the subscription once long enough. Returns the subscriptions paused now. Plain UPDATEs:
    no lock that would block the inserts of new deliveries (they only share-lock its key)."""
    sub = Subscription.__table__.c
    tripped: set[int] = set()
    for sub_id, results in oks.items():
        last_ok = max((i for i, ok in enumerate(results) if ok), default=None)
        if last_ok == len(results) - 1:
            session.execute(
                update(Subscription)
                .where(sub.id == sub_id, sub.failure_streak > 0)
                .values(failure_streak=0, paused_until=None)
            )
            continue
        failed = len(results) - 1 - last_ok if last_ok is not None else len(results)
        streak_value = failed if last_ok is not None else sub.failure_streak + failed
        streak = session.execute(
            update(Subscription)
            .where(sub.id == sub_id)
            .values(failure_streak=streak_value)
            .returning(sub.failure_streak)
        ).scalar_one_or_none()
        pause = breaker.pause_after(streak) if streak is not None else None
        if pause is None:
            continue
        session.execute(
            update(Subscription).where(sub.id == sub_id).values(paused_until=now + timedelta(seconds=pause))
        )
        logger.warning(
            "webhook subscription %d: %d failures in a row, paused for %.0f s", sub_id, streak, pause
        )
        tripped.add(sub_id)
    return tripped


def _park(sessions: Sessions, claim: Claim) -> Outcome:
    """Set a claimed delivery whose result cannot be recorded aside as failed ("parked")."""
    try:
        with sessions() as session:
            begin_write(session)
            session.execute(
                update(Delivery)
                .where(Delivery.id == claim.pk, Delivery.lease_token == claim.lease_token)
                .values(
                    state="failed",
                    last_error="internal error: its result could not be recorded",
                    lease_until=None,
                    lease_owner=None,
                    lease_token=None,
                )
            )
            session.commit()
    except Exception:
        logger.exception("could not park webhook delivery %s", claim.delivery_id)
    return Outcome("parked")
