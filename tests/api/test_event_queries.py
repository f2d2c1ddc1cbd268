"""Event list filters, cursor pagination and statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from api.orm import Event
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World


@pytest.fixture
def codes(world: World) -> dict[str, str]:
    """Five events: intrusions in T01 cells 1–3, a crowd in T02, a fire in T03."""
    posted = {
        "t1c1": make_alert("a1", at=cell_center(1, 1, 1)),
        "t1c2": make_alert("a2", at=cell_center(1, 1, 2)),
        "t1c3": make_alert("a3", at=cell_center(1, 2, 3)),
        "t2": make_alert("a4", kind="crowd", at=cell_center(2, 1, 1)),
        "t3": make_alert("a5", kind="fire", at=cell_center(3, 1, 1)),
    }
    return {name: world.post_alert(alert).json()["event_code"] for name, alert in posted.items()}


def _list(world: World, query: str = "", user: str = "admin") -> Any:
    reply = world.client.get(f"/v1/events{query}", headers=world.as_user(user))
    assert reply.status_code == 200, reply.text
    return reply.json()


def _codes(world: World, query: str) -> set[str]:
    return {e["code"] for e in _list(world, query)["items"]}


def test_cursor_pagination_walks_every_event_once_newest_first(world: World, codes: dict[str, str]) -> None:
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        page = _list(world, f"?limit=2{cursor}")
        seen += [e["code"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == list(reversed(codes.values()))


def test_bad_cursor_is_refused(world: World) -> None:
    reply = world.client.get("/v1/events?cursor=!!!", headers=world.as_user("admin"))
    assert reply.status_code == 422
    (error,) = reply.json()["detail"]
    assert error["loc"] == ["query", "cursor"]
    assert "cursor" in error["msg"]


def test_filters(world: World, codes: dict[str, str]) -> None:
    world.client.post(
        f"/v1/events/{codes['t2']}/actions", json={"action": "acknowledge"}, headers=world.as_user("operator")
    )
    assert _codes(world, "?type=FIRE") == {codes["t3"]}
    assert _codes(world, "?status=acknowledged") == {codes["t2"]}
    assert _codes(world, "?status=new&status=acknowledged") == set(codes.values())
    assert _codes(world, "?grid=DX-T01-V01") == {codes["t1c1"], codes["t1c2"]}
    assert _codes(world, "?grid=DX-T01") == {codes["t1c1"], codes["t1c2"], codes["t1c3"]}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert _codes(world, f"?since={future}") == set()
    assert _codes(world, f"?until={future}") == set(codes.values())
    bad = world.client.get("/v1/events?grid=NOPE", headers=world.as_user("admin"))
    assert bad.status_code == 422


def test_overdue_filter(world: World, codes: dict[str, str]) -> None:
    with world.ctx.sessions() as session:
        session.execute(
            update(Event)
            .where(Event.code == codes["t3"])
            .values(ack_due=datetime.now(UTC) - timedelta(minutes=1))
        )
        session.commit()
    assert _codes(world, "?overdue=true") == {codes["t3"]}
    assert codes["t3"] not in _codes(world, "?overdue=false")


def test_stats(world: World, codes: dict[str, str]) -> None:
    world.client.post(
        f"/v1/events/{codes['t2']}/actions", json={"action": "acknowledge"}, headers=world.as_user("operator")
    )
    stats = world.client.get("/v1/stats", headers=world.as_user("admin")).json()
    assert stats["total"] == 5
    assert stats["by_status"] == {"new": 4, "acknowledged": 1}
    assert stats["by_type"] == {"INTRUSION": 3, "CROWD": 1, "FIRE": 1}
    assert stats["by_grid"]["DX-T01-V01-C001"] == 1
    assert stats["sla"]["ack_met"] == 1.0
    assert stats["sla"]["resolution_met"] is None
    assert stats["median_ack_seconds"] >= 0
