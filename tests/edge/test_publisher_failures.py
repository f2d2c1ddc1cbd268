"""The publisher when the centre fails or refuses single alerts, and when its own database fails.

The central API is a real `gridwatch api serve` process. Where a test needs the centre to fail on
one alert with a 5xx, a `FaultyProxy` (a real HTTP server on 127.0.0.1) stands in front of it and
makes up that one answer; every other request reaches the real API and its real answer comes back.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from edge.config import ApiConfig
from edge.outbox import AlertState, Outbox
from edge.publisher import Publisher
from tests.edge.builders import make_alert, put
from tests.edge.conftest import MakePublisher
from tests.support.centre import CentreApi, Seeded, wait_for
from tests.support.proxy import FaultyProxy

pytestmark = pytest.mark.slow


def test_an_alert_the_centre_keeps_failing_does_not_hold_back_the_others(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    """Issue 11 case 2: one alert answered 500 first in the queue, five good ones behind it."""
    centre.start()
    [stuck] = put(outbox, "stuck", 1)
    good = put(outbox, "good", 5)
    with FaultyProxy(centre.url, fail={stuck: 500}) as proxy:
        publisher = make_publisher(proxy.url, seeded.device_token)
        wait_for(lambda: outbox.counts()["delivered"] == len(good), "the five alerts behind the failing one")
        wait_for(lambda: proxy.attempts[stuck] >= 3, "the failing alert to be tried again on its own")
        assert sorted(centre.alert_ids()) == sorted(good)
        [entry] = outbox.entries()
        assert (entry.alert_id, entry.state) == (stuck, AlertState.PENDING)
        assert "HTTP 500" in entry.reason
        assert entry.next_attempt_at is not None  # its own backoff, kept in the outbox
        del proxy.fail[stuck]  # the centre is fixed: the alert goes through by itself
        wait_for(lambda: outbox.depth() == 0, "the once failing alert to be delivered")
    assert sorted(centre.alert_ids()) == sorted([stuck, *good])
    assert publisher.stats.parked == 0


def test_an_alert_the_centre_refuses_for_good_is_parked_with_the_reason(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    """A real 409: another alert already holds this id at the centre."""
    centre.start()
    earlier = make_alert("taken-1")
    headers = {"Authorization": f"Bearer {seeded.device_token}", "Content-Type": "application/json"}
    posted = httpx.post(f"{centre.url}/v1/alerts", content=earlier.model_dump_json(), headers=headers)
    assert posted.status_code < 300, posted.text
    clash = make_alert("taken-1").model_copy(update={"rule": "another-rule"})
    assert outbox.put(clash)
    good = put(outbox, "after", 3)
    publisher = make_publisher(centre.url, seeded.device_token)
    wait_for(lambda: outbox.counts()["delivered"] == len(good), "the alerts behind the refused one")
    wait_for(lambda: outbox.parked() == 1, "the refused alert to be parked")
    [parked] = outbox.entries(state=AlertState.PARKED)
    assert parked.alert_id == "taken-1"
    assert "HTTP 409" in parked.reason
    assert "already used for a different alert" in parked.reason
    assert (publisher.stats.parked, outbox.depth()) == (1, 0)
    assert publisher.stop(drain_timeout_s=5) is True  # nothing left to send: parked ones wait for a person


def test_a_stored_alert_that_no_longer_validates_is_parked(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    """As after an upgrade that tightened the contract: the row's JSON is edited in the real file, which
    the upgraded worker then opens (rows stored before it opened are checked once)."""
    centre.start()
    [broken] = put(outbox, "broken", 1)
    good = put(outbox, "fine", 2)
    with sqlite3.connect(outbox.path) as db:
        db.execute(
            "UPDATE outbox SET body = json_set(body, '$.severity', 'extreme') WHERE alert_id = ?", (broken,)
        )
    upgraded = Outbox(outbox.path)
    publisher = Publisher(upgraded, ApiConfig(url=centre.url, token=seeded.device_token, timeout_s=5))
    publisher.start()
    try:
        wait_for(lambda: upgraded.counts()["delivered"] == len(good), "the valid alerts")
        [parked] = upgraded.entries(state=AlertState.PARKED)
        assert parked.alert_id == broken
        assert parked.reason.startswith("stored alert no longer validates: severity:")
        assert sorted(centre.alert_ids()) == sorted(good)
    finally:
        publisher.stop(drain_timeout_s=0)
        upgraded.close()


def test_a_publisher_killed_by_a_database_error_is_restarted(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    """A real SQLite error under the publisher: its table is renamed away from another connection."""
    centre.start()
    publisher = make_publisher(centre.url, seeded.device_token)
    with sqlite3.connect(outbox.path) as db:
        db.execute("ALTER TABLE outbox RENAME TO outbox_away")
    wait_for(lambda: publisher.supervisor.down() == ["publisher"], "the publisher thread to be down")
    assert "no such table: outbox" in publisher.supervisor.health()["publisher"].last_error
    with sqlite3.connect(outbox.path) as db:
        db.execute("ALTER TABLE outbox_away RENAME TO outbox")
    queued = put(outbox, "after-restart", 3)
    wait_for(lambda: outbox.depth() == 0, "the restarted publisher to deliver")
    health = publisher.supervisor.health()["publisher"]
    assert (health.state.value, health.restarts >= 1) == ("running", True)
    assert sorted(centre.alert_ids()) == sorted(queued)
