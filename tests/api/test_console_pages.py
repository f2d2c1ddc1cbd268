"""Console pages through TestClient: scoping, queue order and filters, actions and their errors, languages."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute

from api.console import ROUTERS
from api.jobs.units import run_escalation
from tests.api import test_camera_page as camera_tests
from tests.api import test_console_devices as device_tests
from tests.api.builders import cell_center, evidence, jpeg_bytes, make_alert, source_at
from tests.api.conftest import World
from tests.api.console_helpers import give_passwords, log_in
from tests.api.test_console_situation import (
    test_dashboard_map_and_quality_show_only_the_users_subtree as situation,
)
from tests.console import test_console_clip as clip_tests


@pytest.fixture
def desk(world: World) -> World:
    """Console passwords for the operators of township 1 and 2 and a whole-county supervisor."""
    give_passwords(world.ctx, "op_t1", "op_t2", "supervisor")
    return world


def _event(
    world: World,
    alert_id: str,
    township: int,
    kind: str = "intrusion",
    village: int = 1,
    cell: int = 1,
    **extra: Any,
) -> str:
    at = cell_center(township, village, cell)
    body = make_alert(alert_id, kind=kind, at=at, evidence=evidence(jpeg_bytes()), **extra)
    reply = world.post_alert(body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["event_code"])


def _status(world: World, code: str) -> str:
    return str(
        world.client.get(f"/v1/events/{code}", headers=world.as_user("supervisor")).json()["event"]["status"]
    )


def test_queue_and_pages_show_only_the_users_subtree(desk: World) -> None:
    t1, t2 = _event(desk, "p-t1", 1), _event(desk, "p-t2", 2)
    log_in(desk.client, "op_t2")
    queue = desk.client.get("/").text
    assert t2 in queue
    assert t1 not in queue
    for path in (f"/events/{t1}", f"/events/{t1}/alerts/p-t1/snapshot"):
        reply = desk.client.get(path)
        assert reply.status_code == 404, path
        assert "第1乡" not in reply.text  # nothing about the event: not even where it is
    assert desk.client.get(f"/events/{t2}/alerts/p-t2/snapshot").content == jpeg_bytes()


def test_actions_outside_the_subtree_are_404_and_change_nothing(desk: World) -> None:
    t1 = _event(desk, "x-t1", 1)
    csrf = log_in(desk.client, "op_t2")
    for path, data in (
        (f"/events/{t1}/actions", {"action": "acknowledge"}),
        (f"/events/{t1}/comments", {"text": "x"}),
    ):
        assert desk.client.post(path, data={**data, "csrf_token": csrf}).status_code == 404
    assert _status(desk, t1) == "new"
    history = desk.client.get(f"/v1/events/{t1}", headers=desk.as_user("supervisor")).json()["history"]
    assert [h["action"] for h in history] == ["open"]


CONSOLE_CHECKS: dict[str, Callable[..., None]] = {
    "/": test_queue_and_pages_show_only_the_users_subtree,
    "/events/{code}": test_queue_and_pages_show_only_the_users_subtree,
    "/events/{code}/alerts/{alert_id}/snapshot": test_queue_and_pages_show_only_the_users_subtree,
    "/events/{code}/actions": test_actions_outside_the_subtree_are_404_and_change_nothing,
    "/events/{code}/comments": test_actions_outside_the_subtree_are_404_and_change_nothing,
    "/events/{code}/alerts/{alert_id}/clip": clip_tests.test_a_clip_outside_the_operators_subtree_is_404,
    "/devices/{box}/cameras/{camera}": camera_tests.test_admins_get_the_editor_and_operators_read_only,
    "/devices/{box}/cameras/{camera}/picture": (
        camera_tests.test_admins_get_the_editor_and_operators_read_only
    ),
    "/devices/{box}/cameras/{camera}/rules": camera_tests.test_operators_and_forms_without_csrf_cannot_save,
    "/devices/{box}/config": camera_tests.test_the_box_configuration_page_lists_versions_and_cameras,
    "/dashboard": situation,
    "/map": situation,
    "/map/cell/{code}": situation,
    "/quality": situation,
    "/devices": device_tests.test_devices_pages_show_only_the_users_subtree,
    "/devices/{box_id}": device_tests.test_devices_pages_show_only_the_users_subtree,
}
"""Console routes that show or change events or devices, each with the test that proves its scoping."""
NOT_EVENTS = {"/login", "/logout", "/account", "/account/language", "/account/password", "/live"}
"""/live filters changes by the same scope path (tests/api/test_live.py)."""


def test_every_console_route_is_covered_by_a_scoping_check(desk: World) -> None:
    pages = {r.path for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)}
    assert pages == set(CONSOLE_CHECKS) | NOT_EVENTS


def test_queue_is_most_urgent_first_and_counts_unreviewed_per_tab(desk: World) -> None:
    low = _event(desk, "u-low", 1, kind="vehicle_stationary", severity="low")
    critical = _event(desk, "u-fire", 1, kind="smoke", severity="critical")
    high = _event(desk, "u-high", 2)
    log_in(desk.client, "supervisor")
    queue = desk.client.get("/").text
    positions = [queue.index(f'data-code="{code}"') for code in (critical, high, low)]
    assert positions == sorted(positions)
    assert 'data-tab="new"' in queue
    assert 'data-unreviewed="3"' in queue
    desk.client.get(f"/events/{high}")
    assert 'data-unreviewed="2"' in desk.client.get("/?tab=new").text
    desk.post_alert(make_alert("u-high-2", at=cell_center(2, 1, 1)))  # a new alert: unreviewed again
    assert 'data-unreviewed="3"' in desk.client.get("/?tab=new").text


def test_filters_live_in_the_url_and_bad_ones_are_named(desk: World) -> None:
    fire = _event(desk, "f-fire", 1, kind="smoke")
    other = _event(desk, "f-int", 2)
    log_in(desk.client, "supervisor")
    filtered = desk.client.get("/?type=FIRE&township=DX-T01").text
    assert fire in filtered
    assert other not in filtered
    assert 'value="FIRE" selected' in filtered
    bad = desk.client.get("/?status=lost")
    assert bad.status_code == 422
    assert "status" in bad.text
    assert "lost" in bad.text
    assert desk.client.get("/?since=2026-12-01&until=2026-11-01").status_code == 422


def test_an_action_that_became_invalid_shows_the_409_message(desk: World) -> None:
    code = _event(desk, "c-1", 1)
    csrf = log_in(desk.client, "op_t1")
    other = desk.client.post(
        f"/v1/events/{code}/actions", json={"action": "acknowledge"}, headers=desk.as_user("supervisor")
    )
    assert other.status_code == 200
    mine = desk.client.post(f"/events/{code}/actions", data={"action": "acknowledge", "csrf_token": csrf})
    assert mine.status_code == 409
    assert "cannot acknowledge an event that is acknowledged" in mine.text
    assert 'data-problem="409"' in mine.text


def test_close_needs_feedback_and_a_rating(desk: World) -> None:
    code = _event(desk, "cl-1", 1)
    for action in ({"action": "acknowledge"}, {"action": "dispatch", "worker": "王伟"}, {"action": "start"},
                   {"action": "resolve"}):  # fmt: skip
        desk.client.post(f"/v1/events/{code}/actions", json=action, headers=desk.as_user("supervisor"))
    csrf = log_in(desk.client, "supervisor")
    refused = desk.client.post(f"/events/{code}/actions", data={"action": "close", "csrf_token": csrf})
    assert refused.status_code == 422
    assert "close needs feedback and a rating" in refused.text
    assert _status(desk, code) == "resolved"
    done = desk.client.post(
        f"/events/{code}/actions",
        data={"action": "close", "feedback": "已清理", "rating": "5", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    event = desk.client.get(f"/v1/events/{code}", headers=desk.as_user("supervisor")).json()["event"]
    assert (event["status"], event["feedback"], event["rating"]) == ("closed", "已清理", 5)


def test_only_allowed_actions_are_offered(desk: World) -> None:
    code = _event(desk, "o-1", 1)
    log_in(desk.client, "op_t1")
    page = desk.client.get(f"/events/{code}").text
    offered = {a for a in ("acknowledge", "dispatch", "start", "resolve", "close", "dismiss", "reopen")
               if f'data-action="{a}"' in page}  # fmt: skip
    assert offered == {"acknowledge", "dismiss"}


def test_dismiss_asks_for_a_verdict_and_stores_it_per_alert(desk: World) -> None:
    code = _event(desk, "d-1", 1, rule="room", score=0.41, model={"name": "yolo", "version": "7"})
    desk.post_alert(make_alert("d-2", at=cell_center(1, 1, 1), rule="room", score=0.52))
    csrf = log_in(desk.client, "op_t1")
    no_reason = desk.client.post(
        f"/events/{code}/actions", data={"action": "dismiss", "verdict": "false_alarm", "csrf_token": csrf}
    )
    assert no_reason.status_code == 422
    assert "false_alarm" in no_reason.text
    reply = desk.client.post(
        f"/events/{code}/actions",
        data={
            "action": "dismiss",
            "verdict": "false_alarm",
            "false_alarm": "wrong_object",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303
    verdicts = desk.client.get("/v1/verdicts", headers=desk.as_user("op_t1")).json()["items"]
    assert {(v["alert_id"], v["verdict"], v["false_alarm"], v["score"]) for v in verdicts} == {
        ("d-1", "false_alarm", "wrong_object", 0.41),
        ("d-2", "false_alarm", "wrong_object", 0.52),
    }
    assert {v["source_id"] for v in verdicts} == {"cam-1"}
    assert _status(desk, code) == "dismissed"


def test_english_renders_and_is_remembered(desk: World) -> None:
    code = _event(desk, "l-1", 1)
    csrf = log_in(desk.client, "op_t1")
    assert "事件队列" in desk.client.get("/").text
    desk.client.post("/account/language", data={"locale": "en", "csrf_token": csrf, "next": "/"})
    page = desk.client.get(f"/events/{code}").text
    assert "Acknowledge" in page
    assert "Intrusion" in page
    assert "受理" not in page
    assert '<html lang="en">' in page


def test_queue_pages_with_a_cursor_in_the_url(desk: World) -> None:
    kinds = ["intrusion", "crowd", "loitering", "smoke", "gas", "water_level"]
    codes = {
        _event(desk, f"pg-{t}-{v}-{c}-{k}", t, kind=kinds[k], village=v, cell=c)
        for t in (1, 2, 3) for v in (1, 2) for c in (1, 2, 3) for k in range(3 if t < 3 else 4)
    }  # fmt: skip
    assert len(codes) == 60
    log_in(desk.client, "supervisor")
    first = desk.client.get("/").text
    match = re.search(r'href="(/\?cursor=[^"]+)" data-page="next"', first)
    assert match is not None
    second = desk.client.get(html.unescape(match[1])).text
    shown = set(re.findall(r'<tr data-code="([^"]+)"', first)) | set(
        re.findall(r'<tr data-code="([^"]+)"', second)
    )
    assert first.count("<tr data-code=") == 50
    assert second.count("<tr data-code=") == 10
    assert shown == codes
    assert 'data-page="first"' in second


def test_sensor_readings_chart_history_comments_and_supervision(desk: World) -> None:
    start = datetime.now(UTC) - timedelta(minutes=20)
    readings = [
        {
            "name": "water_level",
            "value": 1.0 + i / 10,
            "unit": "m",
            "at": (start + timedelta(minutes=i)).isoformat(),
        }
        for i in range(6)
    ]
    body = make_alert("w-1", kind="water_level", source_kind="sensor", at=cell_center(1, 1, 2),
                      evidence={"readings": readings[:3]})  # fmt: skip
    code = desk.post_alert(body).json()["event_code"]
    desk.post_alert(make_alert("w-2", kind="water_level", source_kind="sensor", at=cell_center(1, 1, 2),
                               evidence={"readings": readings[3:]}))  # fmt: skip
    run_escalation(desk.ctx, now=datetime.now(UTC) + timedelta(hours=3))
    csrf = log_in(desk.client, "op_t1")
    reply = desk.client.post(f"/events/{code}/comments", data={"text": "水位还在涨", "csrf_token": csrf})
    assert reply.status_code == 200  # after the redirect: the event page
    page = reply.text
    chart = re.search(
        rf'<figure class="chart" data-chart="{source_at(cell_center(1, 1, 2))}:water_level">'
        r'.*?<polyline points="([^"]+)"',
        page,
        re.S,
    )
    assert chart is not None
    assert len(chart[1].split()) == 6  # every reading of the two alerts
    assert 'data-supervision="ack"' in page
    assert 'data-history="comment"' in page
    assert "水位还在涨" in page
