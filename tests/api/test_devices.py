"""Device tokens: hashed at rest; missing, wrong, revoked or foreign tokens store nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from api.orm import AlertRow, Device, Event
from tests.api.builders import make_alert
from tests.api.conftest import World


def _stored(world: World) -> tuple[int, int]:
    with world.ctx.sessions() as session:
        alerts = session.scalar(select(func.count()).select_from(AlertRow)) or 0
        events = session.scalar(select(func.count()).select_from(Event)) or 0
    return int(alerts), int(events)


def test_token_is_stored_only_as_a_hash(world: World) -> None:
    with world.ctx.sessions() as session:
        device = session.scalars(select(Device).where(Device.device_id == "edge-01")).one()
    assert device.token_hash is not None
    assert world.device_token not in device.token_hash
    assert len(device.token_hash) == 64


def test_missing_and_wrong_tokens_get_401_and_store_nothing(world: World) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        reply = world.client.post("/v1/alerts", json=make_alert("a-1"), headers=headers)
        assert reply.status_code == 401, headers
    assert _stored(world) == (0, 0)


def test_a_user_token_is_not_a_device_token(world: World) -> None:
    reply = world.client.post("/v1/alerts", json=make_alert("a-1"), headers=world.as_user("admin"))
    assert reply.status_code == 401


def test_revoked_token_gets_403_and_stores_nothing(world: World) -> None:
    revoke = world.client.post("/v1/admin/devices/edge-01/revoke", headers=world.as_user("admin"))
    assert revoke.status_code == 200
    reply = world.post_alert(make_alert("a-1"))
    assert reply.status_code == 403
    assert "revoked" in reply.json()["detail"]
    assert _stored(world) == (0, 0)


def test_token_of_another_device_gets_403(world: World) -> None:
    reply = world.post_alert(make_alert("a-1", device_id="edge-02"))
    assert reply.status_code == 403
    assert _stored(world) == (0, 0)


def test_admin_registers_devices_and_only_edge_boxes_get_tokens(world: World) -> None:
    admin = world.as_user("admin")
    edge = world.client.post(
        "/v1/admin/devices", json={"device_id": "edge-09", "kind": "edge"}, headers=admin
    )
    cam = world.client.post(
        "/v1/admin/devices",
        json={
            "device_id": "cam-9",
            "kind": "camera",
            "parent_device_id": "edge-09",
            "lon": 118.7,
            "lat": 32.0,
        },
        headers=admin,
    )
    assert edge.status_code == cam.status_code == 201
    assert edge.json()["token"].startswith("gwd_")
    assert cam.json()["token"] is None
    token = edge.json()["token"]
    posted = world.client.post(
        "/v1/alerts",
        json=make_alert("a-9", device_id="edge-09", source_id="cam-9", at=(118.7, 32.0)),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert posted.status_code == 201
    duplicate = world.client.post(
        "/v1/admin/devices", json={"device_id": "edge-09", "kind": "edge"}, headers=admin
    )
    assert duplicate.status_code == 409
    bad_kind = world.client.post("/v1/admin/devices", json={"device_id": "x", "kind": "drone"}, headers=admin)
    assert bad_kind.status_code == 422
    assert bad_kind.json()["detail"] == [
        {
            "loc": ["body", "kind"],
            "msg": "kind 'drone' is not one of edge, camera, sensor",
            "type": "value_error",
        }
    ]


def test_device_admin_needs_a_global_admin(world: World) -> None:
    for user in ("operator", "supervisor", "case", "admin_t2"):
        for path in ("/v1/admin/devices/edge-01/revoke", "/v1/admin/devices/edge-01/rotate"):
            reply = world.client.post(path, headers=world.as_user(user))
            assert reply.status_code == 403, (user, path)
        for path in ("/v1/admin/audit", "/v1/admin/webhooks"):
            assert world.client.get(path, headers=world.as_user(user)).status_code == 403, (user, path)
    assert world.post_alert(make_alert("a-1")).status_code == 201


def test_devices_me_names_the_token_s_box_and_stores_nothing(world: World) -> None:
    reply = world.client.get("/v1/devices/me", headers=world.device)
    assert reply.status_code == 200
    assert reply.json()["device_id"] == "edge-01"
    assert reply.json()["kind"] == "edge"
    assert _stored(world) == (0, 0)


def test_devices_me_refuses_user_unknown_and_revoked_tokens(world: World) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, world.as_user("admin")):
        assert world.client.get("/v1/devices/me", headers=headers).status_code == 401, headers
    world.client.post("/v1/admin/devices/edge-01/revoke", headers=world.as_user("admin"))
    revoked = world.client.get("/v1/devices/me", headers=world.device)
    assert revoked.status_code == 403
    assert "revoked" in revoked.json()["detail"]


def test_devices_me_is_documented_in_openapi(world: World) -> None:
    operation = world.client.get("/openapi.json").json()["paths"]["/v1/devices/me"]["get"]
    assert {"200", "401", "403"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/DeviceSelf")
