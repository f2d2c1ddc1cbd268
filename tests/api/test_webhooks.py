"""Webhooks against a real HTTP receiver on 127.0.0.1: signed, retried with backoff, recorded."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import update

from api.jobs.units import run_deliveries
from api.orm import Subscription
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World

SECRET = "case-system-secret-0001"


@dataclass
class Receiver:
    """A case system's webhook endpoint: answers with `statuses` in turn, then 200."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _subscribe(world: World, receiver: Receiver, user: str = "case", **extra: Any) -> int:
    body = {"url": receiver.url, "secret": SECRET, **extra}
    reply = world.client.post("/v1/webhooks", json=body, headers=world.as_user(user))
    assert reply.status_code == 201, reply.text
    sub_id = reply.json()["id"]
    assert isinstance(sub_id, int)
    return sub_id


def _verify(headers: dict[str, str], body: bytes) -> None:
    message = headers["x-gridwatch-timestamp"].encode() + b"." + body
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert headers["x-gridwatch-signature"] == f"sha256={expected}"


def test_delivery_is_signed_and_retried_with_the_same_delivery_id(world: World, receiver: Receiver) -> None:
    sub_id = _subscribe(world, receiver)
    receiver.statuses = [500]
    code = world.post_alert(make_alert("a-1")).json()["event_code"]
    now = datetime.now(UTC)
    assert run_deliveries(world.ctx, now) == {"pending": 1}
    assert run_deliveries(world.ctx, now + timedelta(seconds=0.5)) == {}  # backoff: not due yet
    assert run_deliveries(world.ctx, now + timedelta(seconds=1.5)) == {"delivered": 1}
    assert len(receiver.received) == 2
    (h1, b1), (h2, b2) = receiver.received
    assert h1["x-gridwatch-delivery"] == h2["x-gridwatch-delivery"]
    assert b1 == b2
    _verify(h2, b2)
    payload = json.loads(b2)
    assert payload["topic"] == "event.opened"
    assert payload["event"]["code"] == code
    assert payload["delivery_id"] == h2["x-gridwatch-delivery"]
    records = world.client.get(f"/v1/webhooks/{sub_id}/deliveries", headers=world.as_user("case")).json()
    assert [(r["state"], r["attempts"], r["last_status"]) for r in records] == [("delivered", 2, 200)]


def test_status_changes_are_delivered_too(world: World, receiver: Receiver) -> None:
    _subscribe(world, receiver, topics=["event.status_changed"])
    code = world.post_alert(make_alert("a-1")).json()["event_code"]
    world.client.post(
        f"/v1/events/{code}/actions", json={"action": "acknowledge"}, headers=world.as_user("operator")
    )
    run_deliveries(world.ctx, datetime.now(UTC))
    topics = [json.loads(body)["topic"] for _, body in receiver.received]
    assert topics == ["event.status_changed"]
    assert json.loads(receiver.received[0][1])["event"]["status"] == "acknowledged"


def test_gives_up_after_max_attempts_and_records_it(world: World, receiver: Receiver) -> None:
    world.ctx.settings.webhook_max_attempts = 2
    sub_id = _subscribe(world, receiver)
    receiver.statuses = [503, 503, 503]
    world.post_alert(make_alert("a-1"))
    now = datetime.now(UTC)
    run_deliveries(world.ctx, now)
    assert run_deliveries(world.ctx, now + timedelta(seconds=5)) == {"failed": 1}
    records = world.client.get(f"/v1/webhooks/{sub_id}/deliveries", headers=world.as_user("case")).json()
    assert [(r["state"], r["attempts"], r["last_status"]) for r in records] == [("failed", 2, 503)]


def test_unreachable_receiver_is_retried(world: World, receiver: Receiver) -> None:
    sub_id = _subscribe(world, receiver)
    world.post_alert(make_alert("a-1"))
    with world.ctx.sessions() as session:
        session.execute(update(Subscription).values(url="http://127.0.0.1:9/closed"))
        session.commit()
    assert run_deliveries(world.ctx, datetime.now(UTC)) == {"pending": 1}
    records = world.client.get(f"/v1/webhooks/{sub_id}/deliveries", headers=world.as_user("case")).json()
    assert "ConnectError" in records[0]["last_error"]


def test_filters_and_scope_decide_what_is_delivered(world: World, receiver: Receiver) -> None:
    _subscribe(world, receiver, event_types=["FIRE"])
    _subscribe(world, receiver, user="case_t2")
    world.post_alert(make_alert("in-t1", kind="intrusion", at=cell_center(1, 1, 1)))
    world.post_alert(make_alert("fire-t1", kind="fire", at=cell_center(1, 1, 1)))
    world.post_alert(make_alert("in-t2", kind="intrusion", at=cell_center(2, 1, 1)))
    run_deliveries(world.ctx, datetime.now(UTC))
    types = sorted(
        json.loads(body)["event"]["type_code"] + "@" + json.loads(body)["event"]["cell_code"]
        for _, body in receiver.received
    )
    assert types == ["FIRE@DX-T01-V01-C001", "INTRUSION@DX-T02-V01-C001"]


def test_subscriptions_are_private_and_need_the_right_role(world: World, receiver: Receiver) -> None:
    sub_id = _subscribe(world, receiver)
    assert (
        world.client.get(f"/v1/webhooks/{sub_id}/deliveries", headers=world.as_user("admin")).status_code
        == 404
    )
    assert world.client.get("/v1/webhooks", headers=world.as_user("admin")).json() == []
    assert [s["id"] for s in world.client.get("/v1/webhooks", headers=world.as_user("case")).json()] == [
        sub_id
    ]
    denied = world.client.post(
        "/v1/webhooks", json={"url": receiver.url, "secret": SECRET}, headers=world.as_user("operator")
    )
    assert denied.status_code == 403
