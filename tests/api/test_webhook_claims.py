"""The shared delivery queue: claims never overlap, leases run out, results are fenced, claims are
fair between subscribers, a failing subscriber's breaker pauses it, and attempts recorded together
move each breaker once (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from api.jobs.units import delivery_policy
from api.logic.breaker import BreakerPolicy
from api.orm import Delivery, Event, Subscription
from api.services.webhook_queue import Claim, claim_due
from api.services.webhook_record import Broken, Result, record, record_many
from api.services.webhooks import DeliveryPolicy
from tests.api.builders import make_alert
from tests.api.conftest import World

SECRET = "case-system-secret-0001"


def _policy(world: World, owner: str, **changes: Any) -> DeliveryPolicy:
    return dataclasses.replace(delivery_policy(world.ctx.settings), owner=owner, **changes)


def _subscribe(world: World, port: int) -> int:
    """A subscription (made after the one event the deliveries are owed for, so it owes nothing yet)."""
    with world.ctx.sessions() as session:
        if session.scalars(select(Event.id)).first() is None:
            assert world.post_alert(make_alert("owe-1")).status_code == 201
    body = {"url": f"http://127.0.0.1:{port}/hook", "secret": SECRET}
    reply = world.client.post("/v1/webhooks", json=body, headers=world.as_user("case"))
    assert reply.status_code == 201, reply.text
    sub_id = reply.json()["id"]
    assert isinstance(sub_id, int)
    return sub_id


def _owe(world: World, sub_id: int, n: int, now: datetime) -> None:
    """`n` deliveries due now to subscription `sub_id`, of one event."""
    with world.ctx.sessions() as session:
        event_id = session.scalars(select(Event.id)).one()
        for i in range(n):
            session.add(
                Delivery(
                    delivery_id=f"d-{sub_id}-{i:04d}",
                    subscription_id=sub_id,
                    event_id=event_id,
                    topic="event.opened",
                    payload={"n": i},
                    state="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        session.commit()


def _claim(
    world: World, policy: DeliveryPolicy, now: datetime, limit: int = 100, room: int = 100
) -> list[Claim]:
    return claim_due(sessions=world.ctx.sessions, policy=policy, now=now, limit=limit, room=lambda _s: room)


def test_replicas_claiming_at_once_never_share_a_delivery(world: World) -> None:
    now = datetime.now(UTC)
    _owe(world, _subscribe(world, 9), 60, now)
    claims: dict[str, list[Claim]] = {}
    start = threading.Barrier(6)

    def replica(name: str) -> None:
        start.wait()
        claims[name] = [c for _ in range(3) for c in _claim(world, _policy(world, name), now, limit=5)]

    threads = [threading.Thread(target=replica, args=(f"replica-{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [c.delivery_id for taken in claims.values() for c in taken]
    assert len(ids) == len(set(ids)) == 60
    with world.ctx.sessions() as session:
        owners = {d: o for d, o in session.execute(select(Delivery.delivery_id, Delivery.lease_owner))}
    assert owners == {c.delivery_id: name for name, taken in claims.items() for c in taken}


def test_a_lease_that_ran_out_is_claimed_again_and_the_late_result_is_not_recorded(world: World) -> None:
    now = datetime.now(UTC)
    _owe(world, _subscribe(world, 9), 1, now)
    a, b = _policy(world, "a"), _policy(world, "b")
    (first,) = _claim(world, a, now)
    assert _claim(world, b, now + timedelta(seconds=a.lease_s - 1)) == []
    (second,) = _claim(world, b, now + timedelta(seconds=a.lease_s + 1))
    assert second.delivery_id == first.delivery_id
    assert second.lease_token != first.lease_token
    late = record(sessions=world.ctx.sessions, claim=first, result=200, policy=a, now=now)
    assert late.state == "lost"
    with world.ctx.sessions() as session:
        row = session.scalars(select(Delivery)).one()
        assert (row.state, row.attempts, row.lease_owner) == ("pending", 0, "b")
    done = record(sessions=world.ctx.sessions, claim=second, result=200, policy=b, now=now)
    assert done.state == "delivered"
    with world.ctx.sessions() as session:
        row = session.scalars(select(Delivery)).one()
        assert (row.state, row.attempts, row.lease_owner, row.lease_until) == ("delivered", 1, None, None)


def test_claims_go_round_robin_within_each_subscribers_room(world: World) -> None:
    now = datetime.now(UTC)
    first, second = _subscribe(world, 9), _subscribe(world, 10)
    _owe(world, first, 10, now)
    _owe(world, second, 10, now)
    taken = _claim(world, _policy(world, "a"), now, limit=6, room=4)
    assert sorted(c.subscription_id for c in taken) == [first] * 3 + [second] * 3
    rooms = {first: 1, second: 4}
    more = claim_due(
        sessions=world.ctx.sessions, policy=_policy(world, "a"), now=now, limit=10, room=lambda s: rooms[s]
    )
    assert sorted(c.subscription_id for c in more) == [first] + [second] * 4


def test_a_failing_subscriber_is_paused_for_every_replica_then_probed_once(world: World) -> None:
    now = datetime.now(UTC)
    dead, healthy = _subscribe(world, 9), _subscribe(world, 10)
    _owe(world, dead, 10, now)
    _owe(world, healthy, 10, now)
    policy = _policy(world, "a", breaker=BreakerPolicy(failures=3, pause_s=30.0), per_subscriber=3)
    claims = [c for c in _claim(world, policy, now, room=3) if c.subscription_id == dead]
    outcomes = [
        record(sessions=world.ctx.sessions, claim=c, result="ReadTimeout: timed out", policy=policy, now=now)
        for c in claims
    ]
    assert [o.tripped for o in outcomes] == [False, False, True]
    with world.ctx.sessions() as session:
        sub = session.get_one(Subscription, dead)
        assert (sub.failure_streak, sub.paused_until) == (3, now + timedelta(seconds=30))
    later = now + timedelta(seconds=5)
    other = _policy(world, "b", breaker=policy.breaker)
    assert {c.subscription_id for c in _claim(world, other, later)} == {healthy}
    after_pause = now + timedelta(seconds=31)
    probes = [c for p in (policy, other) for c in _claim(world, p, after_pause) if c.subscription_id == dead]
    assert len(probes) == 1
    record(sessions=world.ctx.sessions, claim=probes[0], result=200, policy=policy, now=after_pause)
    with world.ctx.sessions() as session:
        sub = session.get_one(Subscription, dead)
        assert (sub.failure_streak, sub.paused_until) == (0, None)
    assert len([c for c in _claim(world, other, after_pause, room=3) if c.subscription_id == dead]) == 3


def test_attempts_recorded_together_move_each_breaker_once(world: World) -> None:
    now = datetime.now(UTC)
    flaky, dead = _subscribe(world, 9), _subscribe(world, 10)
    _owe(world, flaky, 4, now)
    _owe(world, dead, 4, now)
    policy = _policy(world, "a", breaker=BreakerPolicy(failures=3, pause_s=30.0), per_subscriber=4)
    claims = _claim(world, policy, now, room=4)
    by_sub = {sub: [c for c in claims if c.subscription_id == sub] for sub in (flaky, dead)}
    flaky_results: list[Result] = ["ConnectError: refused", 200, "HTTP 503", "ReadTimeout: timed out"]
    dead_results: list[Result] = ["ConnectError: refused", "ConnectError: refused", "ConnectError: refused"]
    dead_results.append(Broken("internal error: TypeError"))
    lost = dataclasses.replace(by_sub[dead][0], lease_token="0" * 32)
    results: list[tuple[Claim, Result]] = [
        *zip(by_sub[flaky], flaky_results, strict=True),
        *zip(by_sub[dead], dead_results, strict=True),
        (lost, 200),
    ]
    outcomes = record_many(sessions=world.ctx.sessions, results=results, policy=policy, now=now)
    states = [o.state for o in outcomes]
    assert states == [
        "pending",
        "delivered",
        "pending",
        "pending",
        "pending",
        "pending",
        "pending",
        "parked",
        "lost",
    ]
    assert [o.tripped for o in outcomes].count(True) == 1
    with world.ctx.sessions() as session:
        streaks = {s.id: (s.failure_streak, s.paused_until) for s in session.scalars(select(Subscription))}
        parked = session.scalars(select(Delivery).where(Delivery.state == "failed")).one()
    assert streaks == {flaky: (2, None), dead: (3, now + timedelta(seconds=30))}
    assert parked.last_error == "internal error: TypeError"
