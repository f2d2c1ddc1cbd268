"""The fleet inventory over REST: sources registered by admins, checked field by field, placed in
their cell; alerts only from registered sources, placed where the source is registered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.orm import AlertRow, Event
from tests.api.builders import DEFAULT_AT, cell_center, cell_code, make_alert
from tests.api.conftest import World

GB_CAMERA = "32010200001320000001"


def _source(source_id: str, at: tuple[float, float], **extra: Any) -> dict[str, Any]:
    return {"source_id": source_id, "kind": "camera", "lon": at[0], "lat": at[1], **extra}


def _post(world: World, body: Any, box: str = "edge-01", user: str = "admin") -> Any:
    return world.client.post(f"/v1/devices/{box}/sources", json=body, headers=world.as_user(user))


def test_an_admin_registers_a_camera_placed_in_its_cell(world: World) -> None:
    body = _source("gate", cell_center(2, 1, 3), name="东门", gb_id=GB_CAMERA, notes="pole 3")
    reply = _post(world, body)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert (created["box_id"], created["cell_code"], created["gb_id"]) == (
        "edge-01",
        cell_code(2, 1, 3),
        GB_CAMERA,
    )
    assert created["state"] == "unknown"
    box = world.client.get("/v1/devices/edge-01", headers=world.as_user("op_t2")).json()
    assert "gate" in {s["device_id"] for s in box["sources"]}
    assert all(s["cell_code"].startswith("DX-T02") for s in box["sources"])
    assert _post(world, body).status_code == 409
    assert _post(world, body, box="edge-99").status_code == 404
    assert _post(world, body, user="operator").status_code == 403
    assert _post(world, body, user="admin_t2").status_code == 403


def test_bad_fields_get_422_naming_the_field(world: World) -> None:
    cases = [
        (_source("g", DEFAULT_AT, gb_id="3201020000132000000"), "gb_id"),
        (_source("g", DEFAULT_AT, gb_id="99010200001320000001"), "gb_id"),
        (_source("g", (181.0, 32.0)), "lon"),
        ({**_source("g", DEFAULT_AT), "kind": "drone"}, "kind"),
        ({"source_id": "g", "kind": "camera", "lon": 118.7}, "lat"),
        (_source("bad id", DEFAULT_AT), "source_id"),
    ]
    for body, field in cases:
        reply = _post(world, body)
        assert reply.status_code == 422, body
        assert ["body", field] in [e["loc"][:2] for e in reply.json()["detail"]], reply.json()


def test_patch_moves_a_source_and_its_next_alerts(world: World) -> None:
    assert _post(world, _source("gate", cell_center(1, 1, 2))).status_code == 201
    alert = make_alert("p-1", source_id="gate", at=cell_center(1, 1, 2))
    assert world.client.post("/v1/alerts", json=alert, headers=world.device).json()["cell_code"] == cell_code(
        1, 1, 2
    )
    to = cell_center(1, 2, 1)
    reply = world.client.patch(
        "/v1/devices/edge-01/sources/gate", json={"lon": to[0], "lat": to[1]}, headers=world.as_user("admin")
    )
    assert reply.json()["cell_code"] == cell_code(1, 2, 1)
    moved = make_alert("p-2", source_id="gate", at=to)
    assert world.client.post("/v1/alerts", json=moved, headers=world.device).json()["cell_code"] == cell_code(
        1, 2, 1
    )
    bad = world.client.patch(
        "/v1/devices/edge-01/sources/gate", json={"lon": None}, headers=world.as_user("admin")
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "lat"] or bad.json()["detail"][0]["loc"] == [
        "body",
        "lon",
    ]


def test_import_is_all_or_nothing_and_names_the_row(world: World) -> None:
    rows = [
        {**_source("a", cell_center(1, 1, 1)), "box_id": "edge-01"},
        {**_source("b", cell_center(1, 1, 2)), "box_id": "edge-77"},
    ]
    reply = world.client.post("/v1/devices/import", json=rows, headers=world.as_user("admin"))
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["rows", 2, "box_id"]
    assert "row 2" in reply.json()["detail"][0]["msg"]
    listed = world.client.get("/v1/devices?kind=camera", headers=world.as_user("admin")).json()
    assert "a" not in {d["device_id"] for d in listed}
    rows[1]["box_id"] = "edge-01"
    first = world.client.post("/v1/devices/import", json=rows, headers=world.as_user("admin")).json()
    again = world.client.post("/v1/devices/import", json=rows, headers=world.as_user("admin")).json()
    assert (first, again) == ({"created": 2, "updated": 0}, {"created": 0, "updated": 2})


def test_an_alert_from_a_source_outside_the_inventory_is_422_and_counted(world: World) -> None:
    alert = make_alert("u-1", source_id="cam-unknown")
    reply = world.client.post("/v1/alerts", json=alert, headers=world.device)
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["body", "source_id"]
    assert "'cam-unknown'" in reply.json()["detail"][0]["msg"]
    metrics = world.client.get("/metrics").text
    assert 'gridwatch_alerts_refused_total{reason="unknown_source"} 1.0' in metrics
    with world.ctx.sessions() as session:
        assert session.scalar(select(AlertRow.id)) is None


def test_a_source_of_another_box_is_not_in_this_boxs_inventory(world: World) -> None:
    world.client.post(
        "/v1/admin/devices", json={"device_id": "edge-02", "kind": "edge"}, headers=world.as_user("admin")
    )
    assert _post(world, _source("only-02", DEFAULT_AT), box="edge-02").status_code == 201
    reply = world.client.post("/v1/alerts", json=make_alert("o-1", source_id="only-02"), headers=world.device)
    assert reply.status_code == 422


def test_the_event_stays_at_the_registered_location_and_a_far_claim_is_flagged(world: World) -> None:
    near = make_alert("l-1", at=(DEFAULT_AT[0] + 0.0005, DEFAULT_AT[1]), source_id="cam-1")  # ~47 m
    far = make_alert("l-2", at=cell_center(2, 1, 1), source_id="cam-1")  # ~755 m, another cell
    first = world.client.post("/v1/alerts", json=near, headers=world.device).json()
    second = world.client.post("/v1/alerts", json=far, headers=world.device).json()
    assert first["cell_code"] == second["cell_code"] == cell_code(1, 1, 1)
    assert first["event_code"] == second["event_code"]
    with world.ctx.sessions() as session:
        offsets = {
            r.alert_id: r.location_offset_m
            for r in session.execute(select(AlertRow.alert_id, AlertRow.location_offset_m))
        }
        event = session.scalars(select(Event)).one()
        claimed = session.scalar(select(AlertRow.lon).where(AlertRow.alert_id == "l-2"))
    assert offsets["l-1"] is None
    assert offsets["l-2"] is not None
    assert 700 < offsets["l-2"] < 800
    assert claimed == far["location"]["lon"]  # recorded as sent
    assert event.location_flagged is True
    assert (event.lon, event.lat) == DEFAULT_AT
    detail = world.client.get(f"/v1/events/{first['event_code']}", headers=world.as_user("admin")).json()
    assert detail["event"]["cell_code"] == cell_code(1, 1, 1)
