"""Benchmark of the centre on several replicas; run `python bench/centre_scale.py` (not a test).

Everything on one fresh PostgreSQL database of the local server, with real processes: `gridwatch
api serve` replicas and the real HAProxy running `deploy/haproxy.cfg` (the harness of
`tests/support/cluster.py`).

1. Alert intake through HAProxy with 1, 2 and 3 replicas in service (the others set to
   maintenance through HAProxy's runtime API), interleaved rounds, medians; the same keep-alive
   client as `bench/api.py`. Ratios against 1 replica.
2. Webhook deliveries per second to a fast receiver (a separate process answering 200 at once):
   the time for `--deliveries` owed deliveries to be delivered, with 1 replica sending one at a
   time (concurrency 1: how deliveries went out before), 1 replica with the default limits and 3
   replicas with the default limits (a single subscriber: at most `per_subscriber` in flight per
   replica).
3. The escalation sweep over 10,000 overdue events: batched (500 at a time, the default) against
   all at once (one batch of everything, as before); then a second sweep with nothing new, against
   the old way of selecting and locking every overdue event.

The last line printed is JSON. Run from the repository root: `python bench/centre_scale.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import delete, select, update

from api.app import build_context
from api.context import ApiContext
from api.logic.clocks import Deadlines, Milestones
from api.logic.escalation import plan
from api.orm import Delivery, Event, EventHistory, Supervision
from api.services.escalation import escalate_batch
from api.services.events import overdue_clause
from api.settings import ApiSettings
from bench.api import alert_bodies, load, request_bytes
from tests.support.centre import CENTRE, wait_for
from tests.support.cluster import Balancer, CentreDatabase, Replica

QUIET = {"GRIDWATCH_API_ESCALATION_INTERVAL_S": "0", "GRIDWATCH_API_WEBHOOK_INTERVAL_S": "0"}
SENDING = {"GRIDWATCH_API_ESCALATION_INTERVAL_S": "0", "GRIDWATCH_API_WEBHOOK_ALLOW": "127.0.0.1",
           "GRIDWATCH_API_WEBHOOK_INTERVAL_S": "0.5"}  # fmt: skip


def log(message: str) -> None:
    """Progress, on standard error."""
    print(message, file=sys.stderr, flush=True)


def start_all(replicas: list[Replica]) -> None:
    """Start replicas together and wait until each answers /healthz."""
    for replica in replicas:
        replica.start()
    for replica in replicas:
        wait_for(replica.healthy, f"replica {replica.name}", timeout_s=180)


@dataclass
class Intake:
    """One intake measurement: alerts/s, the replicas' CPU per alert, alerts per group commit."""

    rate: float
    cpu_ms_per_alert: float
    mean_batch: float


def _counters(replicas: list[Replica]) -> tuple[float, float, float]:
    """The replicas' CPU seconds, and the sum and count of their group commits' sizes."""
    total, batches = 0.0, 0.0
    for replica in replicas:
        metrics = httpx.get(f"{replica.url}/metrics", timeout=10).text
        found = dict(re.findall(r"^gridwatch_alert_batch_size_(sum|count) (\S+)$", metrics, re.MULTILINE))
        total, batches = total + float(found.get("sum", 0)), batches + float(found.get("count", 0))
    return sum(r.cpu_s() for r in replicas), total, batches


def _measure(
    balancer: Balancer, replicas: list[Replica], token: str, load_shape: tuple[int, int], run: str
) -> Intake:
    alerts, concurrency = load_shape
    requests = [request_bytes(balancer.port, b, token) for b in alert_bodies(alerts, run)]
    cpu0, sum0, count0 = _counters(replicas)
    seconds, statuses = asyncio.run(load(balancer.port, requests, concurrency))
    cpu1, sum1, count1 = _counters(replicas)
    bad = [s for s in statuses if s != 201]
    if bad or len(statuses) != alerts:
        raise RuntimeError(f"{run}: {len(bad)} answers other than 201")
    return Intake(alerts / seconds, 1000 * (cpu1 - cpu0) / alerts, (sum1 - sum0) / max(count1 - count0, 1))


def intake(
    database: CentreDatabase, folder: Path, alerts: int, concurrency: int, rounds: int
) -> dict[int, Intake]:
    """Alerts/s through HAProxy with 1, 2 and 3 replicas in service (medians of interleaved rounds)."""
    token = database.device_tokens["edge-01"]
    replicas = [Replica(f"api{i}", database, folder, QUIET) for i in (1, 2, 3)]
    balancer = Balancer(replicas, folder)
    start_all(replicas)
    balancer.start()
    samples: dict[int, list[Intake]] = {1: [], 2: [], 3: []}
    try:
        balancer.wait_states({r.name: "UP" for r in replicas})
        _measure(balancer, replicas, token, (300, concurrency), "warm")
        for round_no in range(rounds):
            for n in (1, 2, 3):
                for i, replica in enumerate(replicas):
                    balancer.admin(f"{'enable' if i < n else 'disable'} server replicas/{replica.name}")
                balancer.wait_states({r.name: ("UP" if i < n else "MAINT") for i, r in enumerate(replicas)})
                sample = _measure(balancer, replicas, token, (alerts, concurrency), f"r{round_no}-n{n}")
                samples[n].append(sample)
                log(
                    f"intake round {round_no + 1}: {n} replica(s) {sample.rate:.0f} alerts/s, "
                    f"{sample.cpu_ms_per_alert:.2f} ms replica CPU/alert, {sample.mean_batch:.1f}/commit"
                )
    finally:
        balancer.stop()
        for replica in replicas:
            replica.stop()
    return {n: _median(taken) for n, taken in samples.items()}


def _median(samples: list[Intake]) -> Intake:
    return Intake(
        statistics.median(s.rate for s in samples),
        statistics.median(s.cpu_ms_per_alert for s in samples),
        statistics.median(s.mean_batch for s in samples),
    )


RECEIVER = """
import asyncio, sys
count = 0
async def handle(reader, writer):
    global count
    try:
        while True:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            length = 0
            for line in head.split(b"\\r\\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            count += 1
            writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def owe(database: CentreDatabase, sub_id: int, n: int, tag: str) -> None:
    """`n` deliveries owed now to subscription `sub_id`, each with a realistic event payload."""
    ((event_id, code),) = database.query("SELECT id, code FROM events ORDER BY id LIMIT 1")
    payload = json.dumps({"topic": "event.opened", "event": {"code": code, "pad": "x" * 900}})
    database.query(
        "INSERT INTO webhook_deliveries (delivery_id, subscription_id, event_id, topic, payload, state,"
        " attempts, next_attempt_at, created_at, last_error)"
        " SELECT %s || g, %s, %s, 'event.opened', %s::json, 'pending', 0, now(), now(), ''"
        " FROM generate_series(1, %s) g RETURNING 1",
        tag,
        sub_id,
        event_id,
        payload,
        n,
    )


def deliveries(database: CentreDatabase, folder: Path, n: int) -> dict[str, float]:
    """Deliveries/s to a fast receiver: 1 replica one at a time, 1 replica and 3 replicas by default."""
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    assert receiver.stdout is not None
    port = int(receiver.stdout.readline())
    ((sub_id,),) = database.query(
        "INSERT INTO webhook_subscriptions (owner_id, url, secret, scope_path, event_types, topics, active,"
        " created_at) SELECT id, %s, 'bench-secret-000000', '/', '[]', '[]', true, now() FROM users"
        " WHERE username = 'case' RETURNING id",
        f"http://127.0.0.1:{port}/hook",
    )
    assert isinstance(sub_id, int)
    sequential = {
        **SENDING,
        "GRIDWATCH_API_WEBHOOK_CONCURRENCY": "1",
        "GRIDWATCH_API_WEBHOOK_PER_SUBSCRIBER": "1",
    }
    runs = {"one_at_a_time": (1, sequential), "1_replica": (1, SENDING), "3_replicas": (3, SENDING)}
    rates: dict[str, float] = {}
    try:
        for name, (count, env) in runs.items():
            replicas = [Replica(f"hook{i}", database, folder, env) for i in range(1, count + 1)]
            start_all(replicas)
            try:
                owe(database, sub_id, n, f"{name}-")
                start = time.perf_counter()
                wait_for(lambda: _pending(database) == 0, f"{name}: every delivery", timeout_s=900)
                rates[name] = n / (time.perf_counter() - start)
            finally:
                for replica in replicas:
                    replica.stop()
            log(f"webhooks {name}: {rates[name]:.0f} deliveries/s")
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    return rates


def _pending(database: CentreDatabase) -> int:
    ((count,),) = database.query("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")
    assert isinstance(count, int)
    return count


OVERDUE_EVENTS = """
INSERT INTO events (code, type_code, category, severity, status, correlation_key, cell_code, grid_path,
  located, clock_flagged, lon, lat, first_seen, last_seen, alert_count, created_at, ack_due, feedback_due,
  resolution_due, escalation_level)
SELECT 'BENCH-' || g, 'INTRUSION', 'public_order', 'high', 'new', 'bench-' || g, g2.code, g2.path,
  true, false, 118.7, 32.0, now() - interval '3 hours', now() - interval '3 hours', 1,
  now() - interval '3 hours', now() - interval '1 hour', now() + interval '45 hours',
  now() + interval '7 days', 0
FROM generate_series(1, %s) g, (SELECT code, path FROM grids WHERE level = 4 ORDER BY code LIMIT 1) g2
RETURNING 1
"""


def _sweep(ctx: ApiContext, batch: int, now: datetime) -> tuple[float, float, int]:
    """One sweep in batches of `batch`: (seconds in all, longest batch in seconds, 督办 written)."""
    after, written, longest = 0, 0, 0.0
    start = time.perf_counter()
    while True:
        began = time.perf_counter()
        with ctx.sessions() as session:
            done = escalate_batch(session=session, now=now, after_id=after, limit=batch)
            session.commit()
        longest = max(longest, time.perf_counter() - began)
        written += len(done.written)
        if done.events < batch:
            return time.perf_counter() - start, longest, written
        after = done.last_id


def _old_repeat_sweep(ctx: ApiContext, now: datetime) -> float:
    """The sweep as it was, on events already escalated: lock every overdue event, read each one's
    督办 records, plan nothing, in one transaction with a savepoint per event."""
    start = time.perf_counter()
    with ctx.sessions() as session:
        events = session.scalars(
            select(Event).where(overdue_clause(now)).order_by(Event.id).with_for_update()
        ).all()
        for event in events:
            with session.begin_nested():
                already = set(
                    session.scalars(select(Supervision.deadline).where(Supervision.event_id == event.id))
                )
                deadlines = Deadlines(event.ack_due, event.feedback_due, event.resolution_due)
                milestones = Milestones(event.acknowledged_at, event.in_progress_at, event.resolved_at)
                assert not plan(deadlines=deadlines, milestones=milestones, level=event.escalation_level,
                                already=already, now=now)  # fmt: skip
        session.commit()
    return time.perf_counter() - start


def _unescalate(ctx: ApiContext) -> None:
    with ctx.sessions() as session:
        session.execute(delete(Supervision))
        session.execute(delete(EventHistory).where(EventHistory.action == "escalate"))
        session.execute(delete(Delivery).where(Delivery.topic == "event.escalated"))
        session.execute(update(Event).values(escalation_level=0, responsible_grid=None))
        session.commit()


def escalation(database: CentreDatabase, events: int) -> dict[str, float]:
    """The sweep over `events` overdue events: batched vs all at once; a repeat sweep, new vs old."""
    database.query(OVERDUE_EVENTS, events)
    ctx = build_context(ApiSettings(database_url=database.url, centre_config=CENTRE))
    now = datetime.now(UTC) + timedelta(minutes=1)
    try:
        batched, longest_batch, written = _sweep(ctx, 500, now)
        assert written == events, written
        repeat_new, _, again = _sweep(ctx, 500, now)
        assert again == 0
        repeat_old = _old_repeat_sweep(ctx, now)
        _unescalate(ctx)
        all_at_once, _, written = _sweep(ctx, events + 1, now)
        assert written == events, written
    finally:
        ctx.engine.dispose()
    log(
        f"escalation of {events}: batched {batched:.2f} s (longest batch {longest_batch:.2f} s), "
        f"all at once {all_at_once:.2f} s; repeat {repeat_new:.3f} s, the old way {repeat_old:.2f} s"
    )
    return {"batched_s": batched, "longest_batch_s": longest_batch, "all_at_once_s": all_at_once,
            "repeat_s": repeat_new, "repeat_old_way_s": repeat_old}  # fmt: skip


def main() -> None:
    """Run the three measurements on one fresh database and print the summary line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=3000, help="Alerts per intake measurement")
    parser.add_argument("--concurrency", type=int, default=64, help="Concurrent keep-alive connections")
    parser.add_argument("--rounds", type=int, default=2, help="Interleaved intake rounds; medians reported")
    parser.add_argument("--deliveries", type=int, default=2000, help="Webhook deliveries per measurement")
    parser.add_argument("--events", type=int, default=10_000, help="Overdue events for the escalation sweep")
    args = parser.parse_args()
    database = CentreDatabase(devices=("edge-01",)).create()
    try:
        with tempfile.TemporaryDirectory(prefix="gridwatch-scale-") as tmp:
            folder = Path(tmp)
            rates = intake(database, folder, args.alerts, args.concurrency, args.rounds)
            hooks = deliveries(database, folder, args.deliveries)
        sweep = escalation(database, args.events)
    finally:
        database.drop()
    summary = {
        "intake_per_s": {str(n): round(i.rate, 1) for n, i in rates.items()},
        "intake_ratio_vs_1": {str(n): round(i.rate / rates[1].rate, 2) for n, i in rates.items()},
        "intake_replica_cpu_ms_per_alert": {str(n): round(i.cpu_ms_per_alert, 2) for n, i in rates.items()},
        "intake_alerts_per_commit": {str(n): round(i.mean_batch, 1) for n, i in rates.items()},
        "webhooks_per_s": {name: round(rate, 1) for name, rate in hooks.items()},
        "webhooks_ratio_vs_one_at_a_time": {
            name: round(rate / hooks["one_at_a_time"], 2) for name, rate in hooks.items()
        },
        "escalation_events": args.events,
        "escalation": {name: round(value, 3) for name, value in sweep.items()},
        "alerts": args.alerts,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "deliveries": args.deliveries,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
