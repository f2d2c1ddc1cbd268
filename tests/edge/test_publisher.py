"""The publisher against the real central API: a `gridwatch api serve` process on 127.0.0.1.

Every test gets its own SQLite database (the demo county, device `edge-test`, a supervisor) and its
own server process, stopped in teardown. Alerts are counted at the API through `GET /v1/events`.
"""

from __future__ import annotations

import pytest

from edge.outbox import Outbox
from tests.edge.builders import put
from tests.edge.conftest import MakePublisher
from tests.support.centre import DEVICE, WAIT_S, CentreApi, Seeded, wait_for

pytestmark = pytest.mark.slow


def test_queued_alerts_arrive_at_the_api(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    centre.start()
    before = put(outbox, "early", 5)  # queued before the publisher starts
    publisher = make_publisher(centre.url, seeded.device_token, batch=3)
    after = put(outbox, "late", 4)  # queued while it runs
    publisher.notify()
    assert publisher.stop(drain_timeout_s=WAIT_S) is True
    assert outbox.depth() == 0
    assert outbox.counts() == {"pending": 0, "delivered": 9}
    assert (publisher.stats.sent, publisher.stats.failed) == (9, 0)
    assert publisher.stats.sent_by_source == {"cam-1": 9}  # what the demo's per-camera bars show
    assert sorted(centre.alert_ids()) == sorted(before + after)


@pytest.mark.parametrize("refusal", ["unknown token", "revoked device"])
def test_a_refused_token_keeps_the_alerts_queued(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher, refusal: str
) -> None:
    token = "gwd_this-token-was-never-issued"
    if refusal == "revoked device":
        centre.revoke(DEVICE)
        token = seeded.device_token
    centre.start()
    queued = put(outbox, "refused", 3)
    publisher = make_publisher(centre.url, token)
    wait_for(lambda: publisher.stats.failed >= 1, "the publisher to count a refusal")
    assert publisher.stop(drain_timeout_s=1) is False
    assert publisher.stats.sent == 0
    assert outbox.counts() == {"pending": 3, "delivered": 0}
    pending = outbox.pending(10)
    assert [p.alert.alert_id for p in pending] == queued
    assert pending[0].attempts >= 1
    assert centre.alert_ids() == []


def test_a_refused_alert_does_not_block_the_ones_behind_it(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    centre.start()
    [foreign] = put(outbox, "foreign", 1, device_id="edge-other")  # this token may not post for it
    good = put(outbox, "good", 4)
    publisher = make_publisher(centre.url, seeded.device_token)
    wait_for(lambda: outbox.counts()["delivered"] == len(good), "the alerts behind the refused one")
    assert publisher.stop(drain_timeout_s=0) is False
    assert publisher.stats.failed >= 1
    assert [p.alert.alert_id for p in outbox.pending(10)] == [foreign]
    assert sorted(centre.alert_ids()) == sorted(good)


def test_alerts_queued_while_the_api_is_down_arrive_exactly_once(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    while_down = put(outbox, "down", 6)
    publisher = make_publisher(centre.url, seeded.device_token, batch=4)
    wait_for(lambda: publisher.stats.retried >= 2, "failed attempts while nothing listens")
    assert outbox.depth() == len(while_down)
    centre.start()
    once_up = put(outbox, "up", 3)
    publisher.notify()
    assert publisher.stop(drain_timeout_s=WAIT_S) is True
    assert outbox.depth() == 0
    assert publisher.stats.sent == len(while_down) + len(once_up)
    arrived = centre.alert_ids()
    assert sorted(arrived) == sorted(while_down + once_up)  # each alert once, none missing
    posted = centre.posted()
    assert posted.get("opened", 0) + posted.get("joined", 0) == len(arrived)
    assert posted.get("replay", 0) == 0  # and none was posted twice
