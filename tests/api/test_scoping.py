"""Users scoped to a grid subtree never see or change events outside it — on every route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from api.services.principals import create_device
from tests.api.builders import cell_center, evidence, jpeg_bytes, make_alert, register_source, source_at
from tests.api.conftest import World


@dataclass
class Scene:
    """One event in township 1 (T01) and one in township 2 (T02)."""

    world: World
    t1: str
    t2: str


@pytest.fixture
def scene(world: World) -> Scene:
    ev = evidence(jpeg_bytes())
    t1 = world.post_alert(make_alert("in-t1", at=cell_center(1, 1, 1), evidence=ev)).json()["event_code"]
    t2 = world.post_alert(make_alert("in-t2", at=cell_center(2, 1, 1), evidence=ev)).json()["event_code"]
    return Scene(world, t1, t2)


def _get(scene: Scene, path: str, user: str) -> Any:
    return scene.world.client.get(path, headers=scene.world.as_user(user))


def _list_codes(scene: Scene, user: str) -> set[str]:
    return {e["code"] for e in _get(scene, "/v1/events", user).json()["items"]}


def test_list_shows_only_the_subtree(scene: Scene) -> None:
    assert _list_codes(scene, "op_t2") == {scene.t2}
    assert _list_codes(scene, "op_t1") == {scene.t1}
    assert _list_codes(scene, "operator") == {scene.t1, scene.t2}
    assert _get(scene, "/v1/events?grid=DX-T01", "op_t2").json()["items"] == []


@pytest.mark.parametrize(
    "path",
    ["/v1/events/{code}", "/v1/events/{code}/alerts/in-t1/evidence"],
)
def test_reads_outside_the_subtree_are_404(scene: Scene, path: str) -> None:
    assert _get(scene, path.format(code=scene.t1), "op_t2").status_code == 404
    assert _get(scene, path.format(code=scene.t1), "op_t1").status_code == 200


def test_actions_outside_the_subtree_are_404_and_change_nothing(scene: Scene) -> None:
    client, world = scene.world.client, scene.world
    for user in ("op_t2", "sup_t2", "case_t2", "admin_t2"):
        reply = client.post(
            f"/v1/events/{scene.t1}/actions", json={"action": "acknowledge"}, headers=world.as_user(user)
        )
        assert reply.status_code == 404, user
    assert _get(scene, f"/v1/events/{scene.t1}", "admin").json()["event"]["status"] == "new"
    inside = client.post(
        f"/v1/events/{scene.t2}/actions", json={"action": "acknowledge"}, headers=world.as_user("op_t2")
    )
    assert inside.status_code == 200


def test_stats_count_only_the_subtree(scene: Scene) -> None:
    assert _get(scene, "/v1/stats", "op_t2").json()["total"] == 1
    assert _get(scene, "/v1/stats", "operator").json()["total"] == 2


def test_quality_counts_only_the_subtree(scene: Scene) -> None:
    def alerts(user: str) -> int:
        return sum(c["last_30d"]["alerts"] for c in _get(scene, "/v1/quality", user).json()["cameras"])

    assert alerts("op_t2") == 1
    assert alerts("operator") == 2


def test_grid_tree_shows_only_the_subtree(scene: Scene) -> None:
    tree = _get(scene, "/v1/grids", "op_t2").json()
    assert [n["code"] for n in tree] == ["DX-T02"]


def test_events_outside_every_cell_are_only_for_whole_tree_users(scene: Scene) -> None:
    code = scene.world.post_alert(make_alert("nowhere", at=(100.0, 20.0))).json()["event_code"]
    assert code in _list_codes(scene, "operator")
    assert code not in _list_codes(scene, "op_t1")


def test_users_are_created_only_inside_the_admins_scope(scene: Scene) -> None:
    client, world = scene.world.client, scene.world
    outside = {"username": "x1", "role": "operator", "scope": "DX-T01"}
    everywhere = {"username": "x2", "role": "operator", "scope": None}
    inside = {"username": "x3", "role": "operator", "scope": "DX-T02-V01"}
    for body in (outside, everywhere):
        assert client.post("/v1/admin/users", json=body, headers=world.as_user("admin_t2")).status_code == 403
    created = client.post("/v1/admin/users", json=inside, headers=world.as_user("admin_t2"))
    assert created.status_code == 201
    assert created.json()["scope_path"] == "/DXC/DX/DX-T02/DX-T02-V01/"
    assert client.post("/v1/admin/users", json=inside, headers=world.as_user("op_t2")).status_code == 403


def test_webhook_subscriptions_inherit_the_owner_scope(scene: Scene) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "secret": "s" * 16}
    reply = scene.world.client.post("/v1/webhooks", json=body, headers=scene.world.as_user("case_t2"))
    assert reply.json()["scope_path"] == "/DXC/DX/DX-T02/"


def test_comments_outside_the_subtree_are_404(scene: Scene) -> None:
    client, world = scene.world.client, scene.world
    body = {"text": "seen on the camera"}
    outside = client.post(f"/v1/events/{scene.t1}/comments", json=body, headers=world.as_user("op_t2"))
    assert outside.status_code == 404
    inside = client.post(f"/v1/events/{scene.t2}/comments", json=body, headers=world.as_user("op_t2"))
    assert inside.status_code == 201
    history = _get(scene, f"/v1/events/{scene.t1}", "admin").json()["history"]
    assert [h["action"] for h in history] == ["open"]


def test_verdicts_list_only_the_subtree(scene: Scene) -> None:
    client, world = scene.world.client, scene.world
    dismiss = {"action": "dismiss", "verdict": {"kind": "test"}}
    for code in (scene.t1, scene.t2):
        reply = client.post(f"/v1/events/{code}/actions", json=dismiss, headers=world.as_user("operator"))
        assert reply.status_code == 200, reply.text
    assert {v["event_code"] for v in _get(scene, "/v1/verdicts", "op_t2").json()["items"]} == {scene.t2}
    assert {v["event_code"] for v in _get(scene, "/v1/verdicts", "operator").json()["items"]} == {
        scene.t1,
        scene.t2,
    }


def test_user_admin_stays_inside_the_admins_scope(scene: Scene) -> None:
    client, world = scene.world.client, scene.world
    for action in ("disable", "enable", "rotate-token", "revoke-token"):
        outside = client.post(f"/v1/admin/users/op_t1/{action}", headers=world.as_user("admin_t2"))
        assert outside.status_code == 404, action
        inside = client.post(f"/v1/admin/users/op_t2/{action}", headers=world.as_user("admin_t2"))
        assert inside.status_code == 200, action
        denied = client.post(f"/v1/admin/users/op_t2/{action}", headers=world.as_user("sup_t2"))
        assert denied.status_code == 403, action


def test_webhook_state_is_changed_by_its_owner_or_an_admin_above_it(scene: Scene) -> None:
    client, world = scene.world.client, scene.world
    body = {"url": "http://127.0.0.1:9/hook", "secret": "s" * 16}
    sub = client.post("/v1/webhooks", json=body, headers=world.as_user("case")).json()["id"]
    for action in ("deactivate", "reactivate"):
        for user in ("case_t2", "admin_t2"):
            reply = client.post(f"/v1/webhooks/{sub}/{action}", headers=world.as_user(user))
            assert reply.status_code == 404, (action, user)
        for user in ("case", "admin"):
            assert client.post(f"/v1/webhooks/{sub}/{action}", headers=world.as_user(user)).status_code == 200


def test_evidence_routes_outside_the_subtree_are_404(scene: Scene) -> None:
    client, world = scene.world.client, scene.world
    hold = {"hold": True, "note": "case 1"}
    for user in ("sup_t2", "admin_t2"):
        reply = client.post(f"/v1/events/{scene.t1}/legal-hold", json=hold, headers=world.as_user(user))
        assert reply.status_code == 404, user
        assert client.get(f"/v1/events/{scene.t1}/export", headers=world.as_user(user)).status_code == 404
    assert _get(scene, f"/v1/events/{scene.t1}", "admin").json()["event"]["legal_hold"] is False
    assert client.post(
        f"/v1/events/{scene.t2}/legal-hold", json=hold, headers=world.as_user("sup_t2")
    ).is_success
    assert client.get(f"/v1/events/{scene.t2}/export", headers=world.as_user("op_t2")).status_code == 200


def test_devices_are_read_only_inside_the_subtree(scene: Scene) -> None:
    world = scene.world
    if _get(scene, "/v1/devices/edge-t1", "operator").status_code == 404:  # CHECKS call this thrice
        with world.ctx.sessions() as session:
            create_device(session=session, device_id="edge-t1", kind="edge")
            session.commit()
    yard = make_alert("x", device_id="edge-t1", source_id="yard", at=cell_center(1, 2, 1))
    register_source(world.ctx, yard)
    in_t2 = source_at(cell_center(2, 1, 1))
    listed = _get(scene, "/v1/devices", "op_t2").json()
    assert {(d["box_id"], d["device_id"]) for d in listed} >= {(None, "edge-01"), ("edge-01", in_t2)}
    assert all(d["cell_code"].startswith("DX-T02") for d in listed if d["box_id"] is not None)
    assert "edge-t1" not in {d["box_id"] or d["device_id"] for d in listed}
    everything = {(d["box_id"], d["device_id"]) for d in _get(scene, "/v1/devices", "operator").json()}
    assert {(None, "edge-t1"), ("edge-t1", "yard"), ("edge-01", "cam-1")} <= everything
    assert _get(scene, "/v1/devices/edge-t1", "op_t2").status_code == 404
    sources = _get(scene, "/v1/devices/edge-01", "op_t2").json()["sources"]
    assert in_t2 in {s["device_id"] for s in sources}
    assert all(s["cell_code"].startswith("DX-T02") for s in sources)
    assert _get(scene, "/v1/devices/edge-01/sources/cam-1", "op_t2").status_code == 404
    assert _get(scene, f"/v1/devices/edge-01/sources/{in_t2}", "op_t2").status_code == 200
    assert _get(scene, "/v1/devices/edge-t1", "op_t1").status_code == 200


CHECKS: dict[tuple[str, str], Callable[[Scene], None]] = {
    ("GET", "/v1/events"): test_list_shows_only_the_subtree,
    ("GET", "/v1/events/{code}"): lambda s: test_reads_outside_the_subtree_are_404(s, "/v1/events/{code}"),
    ("GET", "/v1/events/{code}/alerts/{alert_id}/evidence"): lambda s: test_reads_outside_the_subtree_are_404(
        s, "/v1/events/{code}/alerts/in-t1/evidence"
    ),
    ("POST", "/v1/events/{code}/actions"): test_actions_outside_the_subtree_are_404_and_change_nothing,
    ("POST", "/v1/events/{code}/legal-hold"): test_evidence_routes_outside_the_subtree_are_404,
    ("GET", "/v1/events/{code}/export"): test_evidence_routes_outside_the_subtree_are_404,
    ("POST", "/v1/events/{code}/comments"): test_comments_outside_the_subtree_are_404,
    ("GET", "/v1/verdicts"): test_verdicts_list_only_the_subtree,
    ("GET", "/v1/stats"): test_stats_count_only_the_subtree,
    ("GET", "/v1/quality"): test_quality_counts_only_the_subtree,
    ("GET", "/v1/grids"): test_grid_tree_shows_only_the_subtree,
    ("GET", "/v1/devices"): test_devices_are_read_only_inside_the_subtree,
    ("GET", "/v1/devices/{box_id}"): test_devices_are_read_only_inside_the_subtree,
    ("GET", "/v1/devices/{box_id}/sources/{source_id}"): test_devices_are_read_only_inside_the_subtree,
    ("POST", "/v1/admin/users"): test_users_are_created_only_inside_the_admins_scope,
    ("POST", "/v1/webhooks"): test_webhook_subscriptions_inherit_the_owner_scope,
    ("POST", "/v1/admin/users/{username}/disable"): test_user_admin_stays_inside_the_admins_scope,
    ("POST", "/v1/admin/users/{username}/enable"): test_user_admin_stays_inside_the_admins_scope,
    ("POST", "/v1/admin/users/{username}/rotate-token"): test_user_admin_stays_inside_the_admins_scope,
    ("POST", "/v1/admin/users/{username}/revoke-token"): test_user_admin_stays_inside_the_admins_scope,
    (
        "POST",
        "/v1/webhooks/{subscription_id}/deactivate",
    ): test_webhook_state_is_changed_by_its_owner_or_an_admin_above_it,
    (
        "POST",
        "/v1/webhooks/{subscription_id}/reactivate",
    ): test_webhook_state_is_changed_by_its_owner_or_an_admin_above_it,
}
"""Routes that read or change events or scoped data, each with the check that proves its scoping."""

GLOBAL_ONLY = {
    ("POST", "/v1/admin/grids/import"),  # test_grids.test_import_needs_a_global_admin
    ("POST", "/v1/admin/devices"),  # test_devices.test_device_admin_needs_a_global_admin
    ("POST", "/v1/admin/devices/{device_id}/revoke"),
    ("POST", "/v1/admin/devices/{device_id}/rotate"),  # test_access_serve, test_devices
    ("GET", "/v1/admin/audit"),
    ("POST", "/v1/devices/import"),  # test_inventory: the fleet is centre-wide, like grids
    ("PATCH", "/v1/devices/{box_id}"),
    ("POST", "/v1/devices/{box_id}/sources"),
    ("PATCH", "/v1/devices/{box_id}/sources/{source_id}"),
    ("GET", "/v1/admin/webhooks"),
    ("GET", "/v1/devices/{box}/config"),  # test_box_config.test_only_global_admins_read_or_write_...
    ("PUT", "/v1/devices/{box}/config"),
    ("GET", "/v1/devices/{box}/config/versions"),
}
CHECKED_WITH_A_CLIP = {
    ("GET", "/v1/events/{code}/alerts/{alert_id}/clip")
}  # test_clips: scoped like evidence
OWN_ONLY = {("GET", "/v1/webhooks"), ("GET", "/v1/webhooks/{subscription_id}/deliveries")}  # test_webhooks
UNSCOPED = {  # no user data / device auth
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("POST", "/v1/alerts"),
    ("GET", "/v1/devices/me"),
    ("POST", "/v1/devices/me/heartbeat"),  # device token: its own box only (test_fleet_offline)
    ("POST", "/v1/alerts/{alert_id}/clip"),  # device token; test_clips
    ("PUT", "/v1/alerts/{alert_id}/clip"),
    ("GET", "/v1/devices/me/config"),  # device token: its own configuration; test_box_config
    ("PUT", "/v1/devices/me/cameras/{camera}/snapshot"),  # device token, its own cameras; test_box_config
}


def test_every_route_is_covered_by_a_scoping_check(scene: Scene) -> None:
    paths = scene.world.app.openapi()["paths"]
    routes = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    assert routes == set(CHECKS) | GLOBAL_ONLY | OWN_ONLY | UNSCOPED | CHECKED_WITH_A_CLIP
    for check in CHECKS.values():
        check(scene)
