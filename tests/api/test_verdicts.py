"""Verdicts over REST: dismiss with a verdict stores one row per alert; reopening withdraws them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.builders import cell_center, make_alert, source_at
from tests.api.conftest import World

CAMERA = source_at(cell_center(1, 2, 1))
BOX = {"label": "person", "score": 0.66, "box": [1, 2, 30, 40]}


def _two_alert_event(world: World) -> str:
    extra: dict[str, Any] = {"rule": "gate", "model": {"name": "yolov3-tiny-coco", "version": "1"}}
    first = make_alert("v-1", at=cell_center(1, 2, 1), score=0.71, evidence={"boxes": [BOX]}, **extra)
    world.post_alert(first)
    second = make_alert("v-2", at=cell_center(1, 2, 1), evidence={"boxes": [BOX]}, **extra)
    return str(world.post_alert(second).json()["event_code"])


def _act(world: World, code: str, body: dict[str, Any], user: str = "op_t1") -> Any:
    return world.client.post(f"/v1/events/{code}/actions", json=body, headers=world.as_user(user))


def test_a_dismissal_verdict_is_kept_per_alert_with_camera_rule_model_and_score(world: World) -> None:
    code = _two_alert_event(world)
    verdict = {"kind": "false_alarm", "false_alarm": "nothing_there"}
    assert _act(world, code, {"action": "dismiss", "verdict": verdict, "note": "shadow"}).status_code == 200
    items = world.client.get("/v1/verdicts", headers=world.as_user("op_t1")).json()["items"]
    rows = {
        (v["alert_id"], v["label"], v["score"], v["rule"], v["model_name"], v["source_id"]) for v in items
    }
    assert rows == {
        ("v-1", "person", 0.71, "gate", "yolov3-tiny-coco", CAMERA),
        ("v-2", "person", 0.66, "gate", "yolov3-tiny-coco", CAMERA),  # no alert score: the box's
    }
    assert {(v["verdict"], v["false_alarm"], v["note"], v["actor"]) for v in items} == {
        ("false_alarm", "nothing_there", "shadow", "op_t1")
    }
    detail = world.client.get(f"/v1/events/{code}", headers=world.as_user("op_t1")).json()
    assert detail["event"]["dismiss_reason"] == "false_alarm:nothing_there"
    assert len(detail["verdicts"]) == 2


def test_reopening_withdraws_the_verdicts(world: World) -> None:
    code = _two_alert_event(world)
    _act(world, code, {"action": "dismiss", "verdict": {"kind": "test"}})
    assert _act(world, code, {"action": "reopen"}, user="supervisor").status_code == 200
    current = world.client.get("/v1/verdicts", headers=world.as_user("op_t1")).json()["items"]
    everything = world.client.get(
        "/v1/verdicts", params={"include_withdrawn": "true"}, headers=world.as_user("op_t1")
    ).json()["items"]
    assert current == []
    assert len(everything) == 2
    assert all(v["withdrawn_at"] for v in everything)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "dismiss", "verdict": {"kind": "false_alarm"}}, "false_alarm"),
        ({"action": "dismiss", "verdict": {"kind": "test", "false_alarm": "wrong_object"}}, "false_alarm"),
        ({"action": "dismiss", "verdict": {"kind": "test", "duplicate_of": "DX-1"}}, "duplicate_of"),
        ({"action": "dismiss", "verdict": {"kind": "spam"}}, "kind"),
        ({"action": "acknowledge", "verdict": {"kind": "test"}}, "only with dismiss"),
        ({"action": "dismiss"}, "reason or a verdict"),
    ],
)
def test_bad_verdicts_are_refused_naming_the_field(world: World, body: dict[str, Any], message: str) -> None:
    code = _two_alert_event(world)
    reply = _act(world, code, body)
    assert reply.status_code == 422
    assert message in reply.text
    assert world.client.get("/v1/verdicts", headers=world.as_user("op_t1")).json()["items"] == []


def test_a_duplicate_points_at_an_event_in_scope(world: World) -> None:
    code = _two_alert_event(world)
    other = world.post_alert(make_alert("v-t2", at=cell_center(2, 1, 1))).json()["event_code"]
    outside = _act(
        world, code, {"action": "dismiss", "verdict": {"kind": "duplicate", "duplicate_of": other}}
    )
    assert outside.status_code == 404  # op_t1 cannot see township 2's event
    itself = _act(world, code, {"action": "dismiss", "verdict": {"kind": "duplicate", "duplicate_of": code}})
    assert itself.status_code == 422
    same = world.post_alert(make_alert("v-same", kind="crowd", at=cell_center(1, 2, 1))).json()["event_code"]
    ok = _act(world, code, {"action": "dismiss", "verdict": {"kind": "duplicate", "duplicate_of": same}})
    assert ok.status_code == 200
    items = world.client.get("/v1/verdicts", params={"verdict": "duplicate"}, headers=world.as_user("op_t1"))
    assert {v["duplicate_of"] for v in items.json()["items"]} == {same}


def test_verdict_list_pages_with_a_cursor(world: World) -> None:
    code = _two_alert_event(world)
    _act(world, code, {"action": "dismiss", "verdict": {"kind": "not_our_jurisdiction"}})
    first = world.client.get("/v1/verdicts", params={"limit": 1}, headers=world.as_user("op_t1")).json()
    second = world.client.get(
        "/v1/verdicts", params={"limit": 1, "cursor": first["next_cursor"]}, headers=world.as_user("op_t1")
    ).json()
    assert [v["alert_id"] for v in first["items"] + second["items"]] == ["v-2", "v-1"]
    assert second["next_cursor"] is None
