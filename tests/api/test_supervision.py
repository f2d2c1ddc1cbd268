"""The centre's background work survives a bad item and a dead loop: the escalation sweep, webhook
deliveries, the grid refresh and the alert writer log, count (/metrics) and set aside what failed,
go on with the rest, and a loop that dies anyway is restarted while /healthz says 503."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import build_context, create_app
from api.jobs import dispatcher
from api.jobs.units import run_deliveries, run_escalation
from api.orm import Delivery, Event
from api.services import escalation, webhook_send
from api.services.webhook_queue import Claim
from api.settings import ApiSettings
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World, seed
from tests.api.test_webhooks import SECRET, Receiver, receiver

__all__ = ["receiver"]


class LoopKiller(BaseException):
    """Not an Exception: nothing in a loop catches it, so it ends the loop."""


def _metric(world: World, name: str, job: str) -> float:
    for line in world.client.get("/metrics").text.splitlines():
        if line.startswith(f'{name}{{job="{job}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_one_event_that_fails_to_escalate_does_not_stop_the_sweep(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = world.post_alert(make_alert("a-1", at=cell_center(1, 1, 1))).json()["event_code"]
    good = world.post_alert(make_alert("a-2", at=cell_center(2, 1, 1))).json()["event_code"]
    real = escalation._supervise

    def failing(session: Any, event: Event, step: Any, now: datetime) -> Any:
        if event.code == bad:
            raise RuntimeError("a corrupt row")
        return real(session, event, step, now)

    monkeypatch.setattr(escalation, "_supervise", failing)
    assert run_escalation(world.ctx, datetime.now(UTC) + timedelta(hours=3)) == 1
    assert _metric(world, "gridwatch_job_item_failures_total", "escalation") == 1
    with world.ctx.sessions() as session:
        levels = {code: level for code, level in session.execute(select(Event.code, Event.escalation_level))}
    assert levels == {bad: 0, good: 1}


def test_one_delivery_that_fails_oddly_is_parked_and_the_rest_go_out(
    world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"url": receiver.url, "secret": SECRET}
    assert world.client.post("/v1/webhooks", json=body, headers=world.as_user("case")).status_code == 201
    world.post_alert(make_alert("a-1", at=cell_center(1, 1, 1)))
    world.post_alert(make_alert("a-2", at=cell_center(2, 1, 1)))
    with world.ctx.sessions() as session:
        first = session.scalars(select(Delivery.delivery_id).order_by(Delivery.id)).first()
    real = webhook_send.send

    def failing(client: Any, claim: Claim, now: datetime) -> int | str:
        if claim.delivery_id == first:
            raise TypeError("payload no longer serialisable")
        return real(client, claim, now)

    monkeypatch.setattr(webhook_send, "send", failing)
    assert run_deliveries(world.ctx, datetime.now(UTC)) == {"parked": 1, "delivered": 1}
    assert len(receiver.received) == 1
    with world.ctx.sessions() as session:
        parked = session.scalars(select(Delivery).where(Delivery.delivery_id == first)).one()
    assert parked.state == "failed"
    assert "TypeError: payload no longer serialisable" in parked.last_error
    assert _metric(world, "gridwatch_job_item_failures_total", "webhooks") == 1


def _wait(condition: Callable[[], bool], what: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_dead_job_loop_is_restarted_and_healthz_says_so(
    settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def dies_once(**_kwargs: Any) -> list[Claim]:
        calls.append("run")
        if len(calls) == 1:
            raise LoopKiller("the loop itself broke")
        if len(calls) == 2:
            raise RuntimeError("one bad run")
        return []

    monkeypatch.setattr(dispatcher, "claim_due", dies_once)
    tuned = settings.model_copy(update={"webhook_interval_s": 0.05, "job_restart_s": 1.0})
    ctx = build_context(tuned)
    seed(ctx)
    with TestClient(create_app(ctx=ctx)) as client:
        _wait(lambda: client.get("/healthz").status_code == 503, "healthz to report the dead loop")
        down = client.get("/healthz").json()
        assert down["loops"]["webhooks"]["state"] == "down"
        assert "LoopKiller: the loop itself broke" in down["loops"]["webhooks"]["last_error"]
        assert down["loops"]["alert-writer"]["state"] == "running"
        _wait(lambda: client.get("/healthz").status_code == 200, "the loop to be restarted")
        _wait(lambda: len(calls) >= 4, "runs after a failed run")
        metrics = client.get("/metrics").text
    assert 'gridwatch_job_restarts_total{job="webhooks"} 1.0' in metrics
    assert 'gridwatch_job_failures_total{job="webhooks"} 1.0' in metrics


def test_the_alert_writer_answers_its_batch_when_it_dies_and_comes_back(settings: ApiSettings) -> None:
    ctx = build_context(settings.model_copy(update={"job_restart_s": 0.5}))
    device_token, _ = seed(ctx)
    headers = {"Authorization": f"Bearer {device_token}"}
    with TestClient(create_app(ctx=ctx)) as client:
        committer = client.app.state.committer  # type: ignore[attr-defined]

        def breaks(size: int) -> None:
            committer.on_batch = lambda size: None
            raise LoopKiller("metrics exploded")

        committer.on_batch = breaks
        alert = make_alert("w-1")
        assert client.post("/v1/alerts", json=alert, headers=headers).status_code == 500
        assert client.get("/healthz").json()["loops"]["alert-writer"]["state"] == "down"
        _wait(lambda: client.get("/healthz").status_code == 200, "the writer to be restarted")
        again = client.post("/v1/alerts", json=alert, headers=headers)
    assert again.status_code == 201
    assert again.headers["X-Idempotent-Replay"] == "true", "the first batch was committed before the fault"
