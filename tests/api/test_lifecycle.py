"""Event lifecycle through the REST actions: transitions, required fields, 409s, history, roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.builders import make_alert
from tests.api.conftest import World

HAPPY_PATH: list[tuple[dict[str, Any], str]] = [
    ({"action": "acknowledge", "note": "看到了"}, "acknowledged"),
    ({"action": "dispatch", "department": "应急管理", "worker": "王伟"}, "dispatched"),
    ({"action": "start"}, "in_progress"),
    ({"action": "resolve", "note": "已处置"}, "resolved"),
    ({"action": "close", "feedback": "群众满意", "rating": 5}, "closed"),
]


def _open(world: World) -> str:
    code = world.post_alert(make_alert("a-1")).json()["event_code"]
    assert isinstance(code, str)
    return code


def _act(world: World, code: str, body: dict[str, Any], user: str = "supervisor") -> Any:
    return world.client.post(f"/v1/events/{code}/actions", json=body, headers=world.as_user(user))


def test_full_lifecycle_is_recorded_in_history(world: World) -> None:
    code = _open(world)
    for body, status in HAPPY_PATH:
        reply = _act(world, code, body)
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == status
    detail = world.client.get(f"/v1/events/{code}", headers=world.as_user("admin")).json()
    event = detail["event"]
    assert (event["department"], event["worker"], event["rating"]) == ("应急管理", "王伟", 5)
    history = detail["history"]
    assert [h["action"] for h in history] == ["open", "acknowledge", "dispatch", "start", "resolve", "close"]
    assert [h["to_status"] for h in history[1:]] == [s for _, s in HAPPY_PATH]
    assert history[1]["actor"] == "supervisor"
    assert history[1]["note"] == "看到了"
    assert history[5]["data"] == {"feedback": "群众满意", "rating": 5}
    assert detail["allowed_actions"] == ["reopen"]


def test_invalid_transition_is_409_with_the_allowed_actions(world: World) -> None:
    code = _open(world)
    reply = _act(world, code, {"action": "resolve"})
    assert reply.status_code == 409
    assert reply.json()["allowed"] == ["acknowledge", "dismiss"]
    detail = world.client.get(f"/v1/events/{code}", headers=world.as_user("admin")).json()
    assert detail["event"]["status"] == "new"
    assert len(detail["history"]) == 1


@pytest.mark.parametrize(
    ("body", "needs"),
    [
        ({"action": "dispatch"}, "department or a worker"),
        ({"action": "close", "feedback": "ok", "rating": 6}, "rating"),
        ({"action": "close", "rating": 3}, "feedback"),
        ({"action": "dismiss"}, "reason"),
        ({"action": "explode"}, "action"),
    ],
)
def test_actions_need_their_fields(world: World, body: dict[str, Any], needs: str) -> None:
    code = _open(world)
    reply = _act(world, code, body)
    assert reply.status_code == 422
    assert needs in reply.text


def test_dismiss_and_reopen(world: World) -> None:
    code = _open(world)
    dismissed = _act(world, code, {"action": "dismiss", "reason": "误报：树影"})
    assert dismissed.json()["status"] == "dismissed"
    assert dismissed.json()["dismiss_reason"] == "误报：树影"
    reopened = _act(world, code, {"action": "reopen", "note": "复核为真"})
    assert reopened.json()["status"] == "acknowledged"


def test_roles_limit_actions(world: World) -> None:
    code = _open(world)
    assert _act(world, code, {"action": "acknowledge"}, user="case").status_code == 403
    assert _act(world, code, {"action": "dismiss", "reason": "x"}, user="operator").status_code == 200
    denied = _act(world, code, {"action": "reopen"}, user="operator")
    assert denied.status_code == 403
    assert "operator" in denied.json()["detail"]


def test_unknown_event_is_404(world: World) -> None:
    assert _act(world, "DX-20260101-FIRE-9999", {"action": "acknowledge"}).status_code == 404
