"""Issue 11, cases 5 and 6 (centre), against a real `gridwatch api serve`.

Before: webhook URLs could point at the API's own admin routes, PostgreSQL, Mosquitto or metadata
addresses; alert ids were one namespace across devices (one box's id made another's alert fail with
409 forever); a backdating device opened 2,000 events in one cell in 16 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.builders import cell_center, demo_source_rows, evidence, jpeg_bytes, make_alert
from tests.support.centre import CentreApi, api_admin, register_sources, seed

pytestmark = pytest.mark.slow
CELL = cell_center(1, 2, 3)


class Served:
    """The served centre and the tokens of its admin, case system and two edge boxes."""

    def __init__(self, api: CentreApi, admin: str, case: str, second_device: str) -> None:
        self.api = api
        self.admin = {"Authorization": f"Bearer {admin}"}
        self.case = {"Authorization": f"Bearer {case}"}
        self.one = {"Authorization": f"Bearer {api.device_token}"}
        self.two = {"Authorization": f"Bearer {second_device}"}

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.api.url}{path}", headers=self.admin, timeout=30, **kwargs)

    def post(self, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        return httpx.post(f"{self.api.url}{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("trust")
    seeded = seed(folder / "seed.db")
    admin = api_admin("add-user", "root", "--role", "admin", database=seeded.database)
    case = api_admin("add-user", "cases", "--role", "case_system", database=seeded.database)
    second = api_admin("add-device", "edge-two", database=seeded.database)
    register_sources(demo_source_rows("edge-two"), database=seeded.database)
    api = CentreApi(seeded, folder)
    api.start()
    try:
        yield Served(api, admin, case, second)
    finally:
        api.stop()


def _alert(alert_id: str, device: str = "edge-test", **changes: Any) -> dict[str, Any]:
    return make_alert(alert_id, device_id=device, at=CELL, **changes)


def test_webhook_urls_to_internal_services_are_refused(served: Served) -> None:
    own = served.api.url
    for url in (
        f"{own}/v1/admin/devices",
        "http://127.0.0.1:5432/",
        "http://localhost:1883/",
        "http://[::1]:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "file:///etc/passwd",
    ):
        reply = served.post("/v1/webhooks", served.case, json={"url": url, "secret": "s" * 16})
        assert reply.status_code == 422, (url, reply.text)
        assert reply.json()["detail"][0]["loc"] == ["body", "url"]
    assert httpx.get(f"{own}/v1/webhooks", headers=served.case).json() == []


def test_alert_ids_are_unique_per_device(served: Served) -> None:
    first = served.post("/v1/alerts", served.two, json=_alert("shared-1", "edge-two"))
    mine = _alert("shared-1", evidence=evidence(jpeg_bytes()))
    second = served.post("/v1/alerts", served.one, json=mine)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    replay = served.post("/v1/alerts", served.one, json=mine)
    assert replay.status_code == 201
    assert replay.headers["X-Idempotent-Replay"] == "true"
    assert replay.json() == second.json()
    changed = served.post("/v1/alerts", served.one, json={**mine, "severity": "low"})
    assert changed.status_code == 409
    detail = served.get(f"/v1/events/{second.json()['event_code']}").json()
    pairs = {(a["device_id"], a["alert_id"]) for a in detail["alerts"]}
    assert {("edge-two", "shared-1"), ("edge-test", "shared-1")} <= pairs
    url = next(a["evidence_url"] for a in detail["alerts"] if a["device_id"] == "edge-test")
    assert url.endswith("?device_id=edge-test")
    assert served.get(url).content == jpeg_bytes()


async def _post_all(served: Served, alerts: list[dict[str, Any]]) -> list[int]:
    limit = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=served.api.url, headers=served.one, timeout=60) as client:

        async def one(alert: dict[str, Any]) -> int:
            async with limit:
                return (await client.post("/v1/alerts", json=alert)).status_code

        return list(await asyncio.gather(*(one(a) for a in alerts)))


def test_a_backdating_device_cannot_open_events_in_the_past(served: Served) -> None:
    now = datetime.now(UTC)
    alerts = [_alert(f"back-{i}", kind="smoke", observed_at=now - timedelta(days=8 + i)) for i in range(2000)]
    statuses = asyncio.run(_post_all(served, alerts))
    assert set(statuses) == {201}
    events = served.get("/v1/events", params={"type": "FIRE", "limit": 500}).json()["items"]
    assert len(events) == 1, f"{len(events)} events opened by backdated alerts"
    (event,) = events
    assert event["alert_count"] == 2000
    assert event["clock_flagged"] is True
    assert datetime.fromisoformat(event["first_seen"]) >= now - timedelta(minutes=1)
    alerts_out = served.get(f"/v1/events/{event['code']}").json()["alerts"]
    assert {a["clock_flag"] for a in alerts_out} == {"past"}
    assert min(datetime.fromisoformat(a["observed_at"]) for a in alerts_out) < now - timedelta(days=2000)


def test_clock_flags_mark_the_future_but_not_a_late_replay(served: Served) -> None:
    now = datetime.now(UTC)
    ahead = served.post(
        "/v1/alerts", served.one, json=_alert("ahead-1", kind="gas", observed_at=now + timedelta(days=1))
    )
    assert ahead.status_code == 201, ahead.text
    late = served.post(
        "/v1/alerts",
        served.two,
        json=_alert("late-1", "edge-two", kind="door", observed_at=now - timedelta(days=2)),
    )
    assert late.status_code == 201
    flagged = served.get(f"/v1/events/{ahead.json()['event_code']}").json()
    assert flagged["event"]["clock_flagged"] is True
    assert [a["clock_flag"] for a in flagged["alerts"]] == ["future"]
    believed = served.get(f"/v1/events/{late.json()['event_code']}").json()
    assert believed["event"]["clock_flagged"] is False
    assert believed["alerts"][0]["clock_flag"] is None
    first_seen = datetime.fromisoformat(believed["event"]["first_seen"])
    assert abs(first_seen - (now - timedelta(days=2))) < timedelta(seconds=1)
