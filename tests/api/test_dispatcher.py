"""The running webhook sender isolates subscribers: one that never answers holds only its own slots,
and a healthy one gets every delivery, once, while the silent one's first attempts still hang."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import build_context, create_app
from api.orm import Delivery, Subscription
from api.settings import ApiSettings
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import seed
from tests.support.centre import wait_for
from tests.support.receivers import RecordingReceiver, SilentReceiver

SECRET = "case-system-secret-0001"
EVENTS = 12
TIMEOUT_S = 20.0


@pytest.fixture
def receivers() -> Iterator[tuple[RecordingReceiver, SilentReceiver]]:
    healthy, silent = RecordingReceiver().start(), SilentReceiver().start()
    yield healthy, silent
    healthy.stop()
    silent.stop()


def test_a_silent_subscriber_delays_only_itself(
    settings: ApiSettings, receivers: tuple[RecordingReceiver, SilentReceiver]
) -> None:
    healthy, silent = receivers
    tuned = settings.model_copy(
        update={
            "webhook_interval_s": 0.2,
            "webhook_timeout_s": TIMEOUT_S,
            "webhook_lease_s": 4 * TIMEOUT_S,
            "webhook_concurrency": 4,
            "webhook_per_subscriber": 2,
        }
    )
    ctx = build_context(tuned)
    device_token, tokens = seed(ctx)
    device = {"Authorization": f"Bearer {device_token}"}
    with TestClient(create_app(ctx=ctx)) as client:
        for receiver in (silent, healthy):
            body = {"url": receiver.url, "secret": SECRET}
            reply = client.post(
                "/v1/webhooks", json=body, headers={"Authorization": f"Bearer {tokens['case']}"}
            )
            assert reply.status_code == 201, reply.text
        cells = [(t, v, c) for t in (1, 2) for v in (1, 2) for c in (1, 2, 3, 4)][:EVENTS]
        for i, cell in enumerate(cells):
            assert (
                client.post(
                    "/v1/alerts", json=make_alert(f"s-{i}", at=cell_center(*cell)), headers=device
                ).status_code
                == 201
            )
        wait_for(
            lambda: len(healthy.ids()) == EVENTS,
            "the healthy subscriber's deliveries",
            timeout_s=TIMEOUT_S - 2,
        )
        with ctx.sessions() as session:
            silent_sub = session.scalars(select(Subscription.id).where(Subscription.url == silent.url)).one()
            tried = session.scalars(
                select(Delivery.attempts).where(Delivery.subscription_id == silent_sub, Delivery.attempts > 0)
            ).all()
            created = {d.delivery_id: d.created_at for d in session.scalars(select(Delivery))}
        assert tried == [], (
            "the healthy deliveries all arrived before any attempt to the silent one timed out"
        )
        assert silent.accepted <= 2, "the silent subscriber holds at most its own share of the sender"
        silent.stop()  # its hanging attempts end now, not at their timeout
    assert max(healthy.ids().values()) == 1
    delays = [r.at - created[r.delivery_id].timestamp() for r in healthy.received]
    assert max(delays) < TIMEOUT_S
