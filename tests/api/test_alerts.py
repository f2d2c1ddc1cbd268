"""POST /v1/alerts: idempotency, evidence, cell lookup, correlation, fusion, storms, codes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.orm import AlertRow, Event, EvidenceRow
from tests.api.builders import (
    OUTSIDE,
    cell_center,
    cell_code,
    evidence,
    is_event_code,
    jpeg_bytes,
    make_alert,
)
from tests.api.conftest import World


def _count(world: World, model: type[AlertRow] | type[Event] | type[EvidenceRow]) -> int:
    with world.ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_first_alert_opens_an_event_in_its_cell(world: World) -> None:
    reply = world.post_alert(make_alert("a-1", at=cell_center(2, 3, 4)))
    assert reply.status_code == 201
    body = reply.json()
    assert body["outcome"] == "opened"
    assert body["cell_code"] == cell_code(2, 3, 4)
    assert is_event_code(body["event_code"])
    assert body["event_code"].startswith("DX-")
    assert "-INTRUSION-" in body["event_code"]


def test_retry_returns_the_first_answer_and_stores_nothing_new(world: World) -> None:
    alert = make_alert("a-1")
    first = world.post_alert(alert)
    again = world.post_alert(alert)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["X-Idempotent-Replay"] == "true"
    assert _count(world, AlertRow) == 1
    assert _count(world, Event) == 1


def test_reusing_an_alert_id_for_another_alert_is_a_conflict(world: World) -> None:
    world.post_alert(make_alert("a-1", kind="intrusion"))
    reply = world.post_alert(make_alert("a-1", kind="crowd"))
    assert reply.status_code == 409
    assert "a-1" in reply.json()["detail"]
    assert _count(world, AlertRow) == 1


def test_evidence_snapshot_is_stored_and_served(world: World) -> None:
    jpeg = jpeg_bytes(5000)
    code = world.post_alert(make_alert("a-1", evidence=evidence(jpeg))).json()["event_code"]
    detail = world.client.get(f"/v1/events/{code}", headers=world.as_user("admin")).json()
    url = detail["alerts"][0]["evidence_url"]
    served = world.client.get(url, headers=world.as_user("admin"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.content == jpeg
    assert "snapshot_jpeg_b64" not in detail["alerts"][0]["payload"]["evidence"]


def test_evidence_with_a_wrong_sha256_is_refused(world: World) -> None:
    bad = evidence(jpeg_bytes()) | {"snapshot_sha256": "0" * 64}
    reply = world.post_alert(make_alert("a-1", evidence=bad))
    assert reply.status_code == 422
    assert "sha256" in reply.text
    assert _count(world, AlertRow) == 0


def test_evidence_over_the_centre_limit_is_refused(world: World) -> None:
    world.ctx.settings.evidence_max_bytes = 1000
    reply = world.post_alert(make_alert("a-1", evidence=evidence(jpeg_bytes(4000))))
    assert reply.status_code == 413
    assert "1000" in reply.json()["detail"]
    assert _count(world, AlertRow) == _count(world, EvidenceRow) == 0


def test_same_type_same_cell_within_window_joins(world: World, now: datetime) -> None:
    first = world.post_alert(make_alert("a-1", observed_at=now - timedelta(minutes=9))).json()
    second = world.post_alert(make_alert("a-2", observed_at=now)).json()
    assert second["outcome"] == "joined"
    assert second["event_code"] == first["event_code"]
    detail = world.client.get(f"/v1/events/{first['event_code']}", headers=world.as_user("admin")).json()
    assert detail["event"]["alert_count"] == 2
    assert [a["alert_id"] for a in detail["alerts"]] == ["a-1", "a-2"]


@pytest.mark.parametrize(
    ("second", "why"),
    [
        ({"observed_at_minutes": 11}, "outside the 10-minute window"),
        ({"kind": "crowd"}, "another type"),
        ({"cell": (1, 1, 2)}, "another cell"),
    ],
)
def test_alerts_that_do_not_correlate_open_a_new_event(
    world: World, now: datetime, second: dict[str, object], why: str
) -> None:
    first = world.post_alert(
        make_alert("a-1", observed_at=now - timedelta(minutes=11), at=cell_center(1, 1, 1))
    )
    minutes = second.get("observed_at_minutes", 0)
    assert isinstance(minutes, int)
    cell = second.get("cell", (1, 1, 1))
    assert isinstance(cell, tuple)
    kind = str(second.get("kind", "intrusion"))
    at = now - timedelta(minutes=11) + timedelta(minutes=minutes) + timedelta(seconds=1)
    reply = world.post_alert(make_alert("a-2", kind=kind, observed_at=at, at=cell_center(*cell))).json()
    assert reply["outcome"] == "opened", why
    assert reply["event_code"] != first.json()["event_code"]


def test_fusion_smoke_sensor_and_fire_camera_make_one_event(world: World) -> None:
    sensor = world.post_alert(make_alert("s-1", kind="smoke", source_kind="sensor")).json()
    camera = world.post_alert(make_alert("c-1", kind="fire")).json()
    assert camera["event_code"] == sensor["event_code"]
    assert camera["outcome"] == "joined"
    assert "-FIRE-" in sensor["event_code"]


def test_closed_events_are_not_joined(world: World) -> None:
    code = world.post_alert(make_alert("a-1")).json()["event_code"]
    dismissed = world.client.post(
        f"/v1/events/{code}/actions",
        json={"action": "dismiss", "reason": "shadow"},
        headers=world.as_user("operator"),
    )
    assert dismissed.status_code == 200
    assert world.post_alert(make_alert("a-2")).json()["outcome"] == "opened"


def test_alert_outside_every_cell_becomes_a_flagged_event(world: World) -> None:
    reply = world.post_alert(make_alert("a-1", at=OUTSIDE)).json()
    assert reply["cell_code"] is None
    detail = world.client.get(f"/v1/events/{reply['event_code']}", headers=world.as_user("admin")).json()
    assert detail["event"]["located"] is False
    assert "outside every" in detail["history"][0]["note"]
    flagged = world.client.get("/v1/events?located=false", headers=world.as_user("admin")).json()
    assert [e["code"] for e in flagged["items"]] == [reply["event_code"]]


def test_alert_storm_makes_one_event_with_all_alerts_and_a_replay_adds_nothing(
    world: World, now: datetime
) -> None:
    alerts = [make_alert(f"storm-{i}", observed_at=now - timedelta(seconds=i)) for i in range(100)]
    for _ in range(2):
        codes = {world.post_alert(a).json()["event_code"] for a in alerts}
        assert len(codes) == 1
    assert _count(world, Event) == 1
    assert _count(world, AlertRow) == 100
    page = world.client.get("/v1/events", headers=world.as_user("admin")).json()
    assert page["items"][0]["alert_count"] == 100


def test_codes_are_unique_and_numbered_per_day_and_type(world: World) -> None:
    codes = [
        world.post_alert(make_alert(f"a-{c}", at=cell_center(1, 1, c))).json()["event_code"]
        for c in (1, 2, 3)
    ]
    assert len(set(codes)) == 3
    assert [c.rsplit("-", 1)[1] for c in codes] == ["0001", "0002", "0003"]


def test_concurrent_storm_and_replay_make_one_event(world: World, now: datetime) -> None:
    alerts = [make_alert(f"c-{i}", observed_at=now - timedelta(seconds=i % 50)) for i in range(100)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        first = list(pool.map(world.post_alert, alerts))
        again = list(pool.map(world.post_alert, alerts))
    assert {r.status_code for r in first + again} == {201}
    assert len({r.json()["event_code"] for r in first + again}) == 1
    assert sum(r.json()["outcome"] == "opened" for r in first) == 1
    assert [r.json() for r in again] == [r.json() for r in first]
    assert _count(world, AlertRow) == 100
    page = world.client.get("/v1/events", headers=world.as_user("admin")).json()
    assert page["items"][0]["alert_count"] == 100


def test_event_severity_only_rises(world: World) -> None:
    code = world.post_alert(make_alert("a-1", kind="loitering", severity="low")).json()["event_code"]
    world.post_alert(make_alert("a-2", kind="loitering", severity="critical"))
    world.post_alert(make_alert("a-3", kind="loitering", severity="low"))
    detail = world.client.get(f"/v1/events/{code}", headers=world.as_user("admin")).json()
    assert detail["event"]["severity"] == "critical"
    assert detail["event"]["alert_count"] == 3


def test_a_clear_joins_its_event_however_late(world: World, now: datetime) -> None:
    raised = make_alert("s-1", kind="smoke", source_kind="sensor", observed_at=now - timedelta(minutes=40))
    code = world.post_alert(raised).json()["event_code"]
    cleared = make_alert("s-2", kind="smoke", source_kind="sensor", phase="cleared", observed_at=now)
    reply = world.post_alert(cleared).json()
    assert (reply["event_code"], reply["outcome"]) == (code, "joined")


def test_a_clear_after_the_event_was_closed_opens_nothing(world: World, now: datetime) -> None:
    code = world.post_alert(make_alert("s-1", kind="smoke", source_kind="sensor")).json()["event_code"]
    world.client.post(
        f"/v1/events/{code}/actions",
        json={"action": "dismiss", "reason": "测试"},
        headers=world.as_user("operator"),
    )
    reply = world.post_alert(make_alert("s-2", kind="smoke", source_kind="sensor", phase="cleared")).json()
    assert reply["event_code"] == code
    assert _count(world, Event) == 1
    assert (
        world.post_alert(make_alert("s-3", kind="smoke", source_kind="sensor")).json()["outcome"] == "opened"
    )
