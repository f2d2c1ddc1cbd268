"""Issue 11, case 5: webhook URLs reach only public addresses, or hosts and networks on the allow list.

Name resolution is stubbed (`ctx.resolver`): nothing here looks up a real name, and nothing is sent
anywhere but the test's own receiver on 127.0.0.1. Before: any URL was taken, and deliveries went to
the API's own admin routes, PostgreSQL, Mosquitto or link-local metadata addresses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpcore
import pytest

from api.jobs.units import run_deliveries
from api.logic.netguard import AddressRefusedError, AllowList
from tests.api.builders import make_alert
from tests.api.conftest import World
from tests.api.test_webhooks import SECRET, Receiver, receiver

__all__ = ["receiver"]

PUBLIC = "93.184.216.34"


class StubResolver:
    """Names → addresses, as a DNS server would answer them; records what was asked."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {
            "localhost": ["127.0.0.1"],
            "metadata.test": ["169.254.169.254"],
            "lan.test": ["10.0.0.1"],
            "cgnat.test": ["100.100.100.200"],
            "mixed.test": [PUBLIC, "10.0.0.1"],
            "mapped.test": ["::ffff:10.0.0.1"],
            "cases.test": [PUBLIC],
        }
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise AddressRefusedError(f"cannot resolve {host!r}")
        return self.answers[host]


@pytest.fixture
def resolver(world: World) -> StubResolver:
    stub = StubResolver()
    world.ctx.resolver = stub
    return stub


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connect httpcore makes (they still happen), as (address, port)."""
    made: list[tuple[str, int]] = []
    real = httpcore.SyncBackend.connect_tcp

    def spy(self: httpcore.SyncBackend, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        made.append((host, port))
        return real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", spy)
    return made


def _subscribe(world: World, url: str) -> Any:
    return world.client.post(
        "/v1/webhooks", json={"url": url, "secret": SECRET}, headers=world.as_user("case")
    )


REFUSED = [
    ("http://127.0.0.1:8000/v1/admin/devices", "127.0.0.1 is a loopback address"),
    ("http://127.0.0.1:5432/", "loopback"),
    ("http://localhost:1883/", "127.0.0.1 is a loopback address"),
    ("http://[::1]:5432/", "::1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://metadata.test/computeMetadata/v1/", "169.254.169.254 is a link-local address"),
    ("http://lan.test/hook", "10.0.0.1 is a private address"),
    ("http://cgnat.test/hook", "100.100.100.200 is a non-public address"),
    ("http://mixed.test/hook", "10.0.0.1 is a private address"),
    ("http://mapped.test/hook", "10.0.0.1 is a private address"),
    ("http://0.0.0.0:8000/", "0.0.0.0 is a unspecified address"),
    ("http://224.0.0.1/", "multicast"),
    ("file:///etc/passwd", "must be http:// or https://"),
    ("gopher://cases.test/", "must be http:// or https://"),
    ("http:///hook", "has no host"),
    ("http://nowhere.test/hook", "cannot resolve 'nowhere.test'"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused_urls_get_422_naming_why(world: World, resolver: StubResolver, url: str, reason: str) -> None:
    world.ctx.settings.webhook_allow = ""
    reply = _subscribe(world, url)
    assert reply.status_code == 422, reply.text
    (error,) = reply.json()["detail"]
    assert error["loc"] == ["body", "url"]
    assert reason in error["msg"]


def test_public_urls_and_the_allow_list_are_taken(world: World, resolver: StubResolver) -> None:
    world.ctx.settings.webhook_allow = "10.8.0.0/16, cases.lan"
    resolver.answers |= {"cases.lan": ["192.168.1.5"], "ops.test": ["10.8.3.4"], "other.test": ["10.9.0.1"]}
    for url in (
        "https://cases.test/hook",
        "http://cases.lan:8080/hook",
        "http://ops.test/hook",
        "http://10.8.0.9/",
    ):
        assert _subscribe(world, url).status_code == 201, url
    assert _subscribe(world, "http://other.test/hook").status_code == 422


def test_allow_list_entries_are_checked() -> None:
    assert AllowList.parse("127.0.0.1, 10.8.0.0/16,cases.lan").hosts == frozenset({"cases.lan"})
    with pytest.raises(ValueError, match="neither a host name"):
        AllowList.parse("10.8.0.0/16,http://x")


def test_delivery_checks_the_address_again_and_connects_only_to_it(
    world: World, resolver: StubResolver, receiver: Receiver, connects: list[tuple[str, int]]
) -> None:
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    resolver.answers["rebind.test"] = ["127.0.0.1"]  # allowed: 127.0.0.1 is on the test allow list
    assert _subscribe(world, f"http://rebind.test:{port}/hook").status_code == 201
    world.post_alert(make_alert("a-1"))
    resolver.answers["rebind.test"] = ["10.0.0.1"]  # the name now points inside the LAN
    now = datetime.now(UTC)
    assert run_deliveries(world.ctx, now) == {"pending": 1}
    assert connects == [], "nothing may be connected to once an address is refused"
    assert receiver.received == []
    sub_id = world.client.get("/v1/webhooks", headers=world.as_user("case")).json()[0]["id"]
    (record,) = world.client.get(f"/v1/webhooks/{sub_id}/deliveries", headers=world.as_user("case")).json()
    assert "10.0.0.1 is a private address" in record["last_error"]
    resolver.answers["rebind.test"] = ["127.0.0.1"]
    assert run_deliveries(world.ctx, now + timedelta(seconds=5)) == {"delivered": 1}
    assert connects == [("127.0.0.1", port)]
    headers, body = receiver.received[0]
    assert headers["host"] == f"rebind.test:{port}"
    assert json.loads(body)["topic"] == "event.opened"


def test_a_subscription_stored_before_the_guard_is_refused_at_delivery(
    world: World, resolver: StubResolver, receiver: Receiver, connects: list[tuple[str, int]]
) -> None:
    assert _subscribe(world, receiver.url).status_code == 201  # allowed while 127.0.0.1 is listed
    world.post_alert(make_alert("a-1"))
    world.ctx.settings.webhook_allow = ""  # the allow list no longer names it
    assert run_deliveries(world.ctx, datetime.now(UTC)) == {"pending": 1}
    assert connects == []
    assert receiver.received == []
