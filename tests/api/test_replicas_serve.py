"""The centre on several machines: 3 `gridwatch api serve` replicas on one PostgreSQL behind the real
HAProxy running `deploy/haproxy.cfg`. Edge boxes (the real outbox and publisher) post a storm while
the replica leading the escalation sweep is killed with SIGKILL and later restarted: every alert is
stored once, correlation is exact, the lead moves on. Webhooks go out once per subscription, and a
subscriber that never answers delays only itself. A console page on one replica sees an event
stored through another within 2 s. A fourth replica joins through HAProxy's runtime API and takes
requests."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from edge.config import ApiConfig
from edge.outbox import Outbox
from edge.publisher import Publisher
from gridwatch.contracts.alert import Alert
from ingest.backoff import BackoffConfig
from tests.api.builders import cell_center, cell_code, make_alert
from tests.support.centre import wait_for
from tests.support.cluster import PASSWORD, Cluster, Replica
from tests.support.live import LiveStream
from tests.support.receivers import RecordingReceiver, SilentReceiver

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BOXES = [f"edge-{i:02d}" for i in range(1, 7)]
PER_BOX = 150
STORM_CELLS = [(1, 1, 1), (1, 2, 3), (2, 1, 2), (2, 3, 4)]
GROUPS = [(cell, kind) for cell in STORM_CELLS for kind in ("intrusion", "smoke")]
TYPES = {"intrusion": "INTRUSION", "smoke": "FIRE"}
WEBHOOK_TIMEOUT_S = 10.0
REPLICA_ENV = {
    "GRIDWATCH_API_WEBHOOK_ALLOW": "127.0.0.1",  # the test's receivers; nothing else is reachable
    "GRIDWATCH_API_WEBHOOK_INTERVAL_S": "0.5",
    "GRIDWATCH_API_WEBHOOK_TIMEOUT_S": str(WEBHOOK_TIMEOUT_S),
    "GRIDWATCH_API_WEBHOOK_LEASE_S": str(4 * WEBHOOK_TIMEOUT_S),
    "GRIDWATCH_API_WEBHOOK_BREAKER_FAILURES": "3",
    "GRIDWATCH_API_WEBHOOK_BREAKER_PAUSE_S": "300",
    "GRIDWATCH_API_ESCALATION_INTERVAL_S": "1",
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("cluster"), replicas=3, devices=BOXES, env=REPLICA_ENV)
    try:
        yield running.start()
    finally:
        running.stop()


def _storm(box: str) -> list[Alert]:
    alerts = []
    for i in range(PER_BOX):
        cell, kind = GROUPS[(i + BOXES.index(box)) % len(GROUPS)]
        alerts.append(
            Alert.model_validate(
                make_alert(f"{box}-{i:04d}", device_id=box, kind=kind, at=cell_center(*cell))
            )
        )
    return alerts


def _stored(cluster: Cluster) -> int:
    (count,) = cluster.database.query("SELECT count(*) FROM alerts")[0]
    assert isinstance(count, int)
    return count


def _leaders(replicas: list[Replica]) -> list[str]:
    return [r.name for r in replicas if r.running and "escalation" in r.health().get("leads", [])]  # type: ignore[operator]


def test_a_storm_survives_a_replica_killed_and_restarted(cluster: Cluster, tmp_path: Path) -> None:
    wait_for(lambda: len(_leaders(cluster.replicas)) == 1, "one replica to lead the escalation sweep")
    (leader_name,) = _leaders(cluster.replicas)
    victim = next(r for r in cluster.replicas if r.name == leader_name)
    statuses: list[int] = []
    publishers = []
    for box in BOXES:
        outbox = Outbox(tmp_path / box / "outbox.db")
        for alert in _storm(box):
            assert outbox.put(alert)
        config = ApiConfig(url=cluster.balancer.url, token=cluster.database.device_tokens[box],
                           timeout_s=15, backoff=BackoffConfig(initial_s=0.2, max_s=2))  # fmt: skip
        publisher = Publisher(outbox, config)
        publisher._client.event_hooks["response"].append(lambda r: statuses.append(r.status_code))
        publishers.append(publisher)
    total = len(BOXES) * PER_BOX
    for publisher in publishers:
        publisher.start()
    wait_for(lambda: _stored(cluster) >= total // 3, "a third of the storm to be stored", timeout_s=120)
    victim.kill9()
    wait_for(lambda: len(_leaders(cluster.replicas)) == 1, "another replica to take the escalation lead")
    assert _leaders(cluster.replicas) != [victim.name]
    wait_for(lambda: _stored(cluster) >= 2 * total // 3, "two thirds of the storm", timeout_s=120)
    victim.start()
    wait_for(victim.healthy, "the restarted replica", timeout_s=120)
    cluster.balancer.wait_states({victim.name: "UP"})
    wait_for(
        lambda: all(p.outbox.depth() == 0 for p in publishers), "every edge outbox to drain", timeout_s=180
    )
    for publisher in publishers:
        assert publisher.stop(drain_timeout_s=5)

    stored = cluster.database.query("SELECT device_id, alert_id FROM alerts")
    expected = {(box, a.alert_id) for box in BOXES for a in _storm(box)}
    assert len(stored) == total, "no alert stored twice"
    assert set(stored) == expected, "every alert stored"
    events = cluster.database.query(
        "SELECT e.cell_code, e.type_code, e.alert_count, count(a.id) FROM events e"
        " JOIN alerts a ON a.event_id = e.id GROUP BY e.id"
    )
    per_group = Counter(
        (cell_code(*cell), TYPES[kind])
        for box in BOXES
        for i in range(PER_BOX)
        for cell, kind in [GROUPS[(i + BOXES.index(box)) % len(GROUPS)]]
    )
    assert {(cell, kind): n for cell, kind, n, _ in events} == dict(per_group), "one event per cell and type"
    assert all(n == rows for _, _, n, rows in events), "each event counts exactly the alerts it holds"
    failed = [s for s in statuses if s >= 500]
    assert set(statuses) <= {200, 201, 502, 503, 504}, Counter(statuses)
    assert sum(p.stats.retried for p in publishers) >= len(failed), "every 5xx the boxes saw was retried"


def test_a_console_on_one_replica_sees_an_event_stored_through_another(cluster: Cluster) -> None:
    page_on, stored_through = cluster.replicas[0], cluster.replicas[1]
    live = LiveStream(page_on.url, "duty", PASSWORD).start()
    try:
        device = {"Authorization": f"Bearer {cluster.database.device_tokens[BOXES[2]]}"}
        alert = make_alert("live-1", device_id=BOXES[2], kind="crowd", at=cell_center(2, 2, 2))
        sent_at = time.time()
        reply = httpx.post(f"{stored_through.url}/v1/alerts", json=alert, headers=device, timeout=15)
        assert reply.status_code == 201, reply.text
        code = reply.json()["event_code"]
        wait_for(
            lambda: live.arrival(code) is not None, f"{code} on the other replica's live stream", timeout_s=10
        )
    finally:
        live.stop()
    arrived = live.arrival(code)
    assert arrived is not None
    assert arrived - sent_at < 2.0, f"seen {arrived - sent_at:.2f} s after it was sent to be stored"


def _subscribe(cluster: Cluster, url: str) -> int:
    reply = httpx.post(
        f"{cluster.balancer.url}/v1/webhooks",
        json={"url": url, "secret": "case-system-secret-0001"},
        headers=cluster.user("case"),
        timeout=15,
    )
    assert reply.status_code == 201, reply.text
    sub_id = reply.json()["id"]
    assert isinstance(sub_id, int)
    return sub_id


def test_webhooks_go_out_once_and_a_silent_subscriber_delays_only_itself(cluster: Cluster) -> None:
    healthy, silent = RecordingReceiver().start(), SilentReceiver().start()
    try:
        _webhooks_once(cluster, healthy, silent)
    finally:
        silent.stop()
        healthy.stop()


def _webhooks_once(cluster: Cluster, healthy: RecordingReceiver, silent: SilentReceiver) -> None:
    silent_id, healthy_id = _subscribe(cluster, silent.url), _subscribe(cluster, healthy.url)
    cells = [
        (t, v, c) for t in (1, 2) for v in (1, 2, 3) for c in (1, 2, 3, 4) if (t, v, c) not in STORM_CELLS
    ]
    device = {"Authorization": f"Bearer {cluster.database.device_tokens[BOXES[0]]}"}
    codes = []
    with httpx.Client(base_url=cluster.balancer.url, timeout=15) as client:
        for i, cell in enumerate(cells):
            reply = client.post(
                "/v1/alerts",
                json=make_alert(f"hook-{i}", device_id=BOXES[0], at=cell_center(*cell)),
                headers=device,
            )
            assert reply.status_code == 201, reply.text
            codes.append(reply.json()["event_code"])
        for code in codes[:10]:
            action = client.post(
                f"/v1/events/{code}/actions", json={"action": "acknowledge"}, headers=cluster.user("sup")
            )
            assert action.status_code == 200, action.text
    owed: dict[str, float] = {}
    for delivery_id, created in cluster.database.query(
        "SELECT delivery_id, created_at FROM webhook_deliveries WHERE subscription_id = %s", healthy_id
    ):
        assert isinstance(created, datetime)
        owed[str(delivery_id)] = created.timestamp()
    assert len(owed) == len(cells) + 10
    wait_for(
        lambda: len(healthy.ids()) == len(owed), "every delivery to the healthy subscriber", timeout_s=60
    )
    assert set(healthy.ids()) == set(owed)
    delays = [r.at - owed[r.delivery_id] for r in healthy.received]
    assert max(delays) < WEBHOOK_TIMEOUT_S, (
        f"median {statistics.median(delays):.2f} s, max {max(delays):.2f} s"
    )

    def settled() -> bool:
        rows = cluster.database.query(
            "SELECT count(*) FROM webhook_deliveries WHERE subscription_id = %s AND lease_until IS NOT NULL",
            silent_id,
        )
        return rows[0][0] == 0

    wait_for(settled, "the silent subscriber's attempts to time out", timeout_s=3 * WEBHOOK_TIMEOUT_S + 30)
    ((attempts, most),) = cluster.database.query(
        "SELECT sum(attempts), max(attempts) FROM webhook_deliveries WHERE subscription_id = %s", silent_id
    )
    ((streak, paused),) = cluster.database.query(
        "SELECT failure_streak, paused_until FROM webhook_subscriptions WHERE id = %s", silent_id
    )
    assert attempts == silent.accepted, "each attempt counted once, whichever replica made it"
    assert most == 1, "the breaker paused the silent subscriber before anything was tried twice"
    assert isinstance(streak, int)
    assert streak >= 3
    assert paused is not None
    listed = httpx.get(f"{cluster.balancer.url}/v1/webhooks", headers=cluster.user("case"), timeout=15).json()
    shown = {s["id"]: (s["failure_streak"], s["paused_until"] is not None) for s in listed}
    assert shown == {silent_id: (streak, True), healthy_id: (0, False)}, "the owner sees the breaker"
    assert max(healthy.ids().values()) == 1, "no delivery received twice"


def test_a_fourth_replica_joins_at_run_time_and_takes_requests(cluster: Cluster) -> None:
    added = cluster.add_replica()
    device = {"Authorization": f"Bearer {cluster.database.device_tokens[BOXES[1]]}"}
    with httpx.Client(base_url=cluster.balancer.url, timeout=15) as client:
        for i in range(40):
            alert = make_alert(f"joined-{i}", device_id=BOXES[1], at=cell_center(*STORM_CELLS[0]))
            assert client.post("/v1/alerts", json=alert, headers=device).status_code == 201
    taken = httpx.get(f"{added.url}/metrics", timeout=10).text
    assert 'gridwatch_alerts_total{outcome="joined"}' in taken, "the new replica answered some of them"
