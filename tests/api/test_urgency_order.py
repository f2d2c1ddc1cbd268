"""`GET /v1/events?order=urgency`: overdue first, then severity, then the oldest; keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from api.orm import Event
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World


def test_urgency_order_and_pages(world: World) -> None:
    kinds = [("vehicle_stationary", "low"), ("intrusion", "high"), ("smoke", "critical"), ("crowd", "high"),
             ("loitering", "medium")]  # fmt: skip
    codes = [
        world.post_alert(make_alert(f"o-{i}", kind=k, severity=s, at=cell_center(1, 1, 1))).json()[
            "event_code"
        ]
        for i, (k, s) in enumerate(kinds)
    ]
    with world.ctx.sessions() as session:  # the low parking event is overdue: it goes first
        past = datetime.now(UTC) - timedelta(minutes=1)
        session.execute(update(Event).where(Event.code == codes[0]).values(ack_due=past))
        session.commit()
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"order": "urgency", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = world.client.get("/v1/events", params=params, headers=world.as_user("operator")).json()
        seen += [e["code"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [codes[0], codes[2], codes[1], codes[3], codes[4]]


def test_a_cursor_of_the_other_order_is_refused(world: World) -> None:
    for i in range(3):
        world.post_alert(
            make_alert(f"c-{i}", kind=["smoke", "crowd", "intrusion"][i], at=cell_center(1, 1, 1))
        )
    newest = world.client.get("/v1/events", params={"limit": 1}, headers=world.as_user("operator")).json()
    reply = world.client.get(
        "/v1/events",
        params={"order": "urgency", "cursor": newest["next_cursor"]},
        headers=world.as_user("operator"),
    )
    assert reply.status_code == 422
    assert "order=urgency" in reply.text
