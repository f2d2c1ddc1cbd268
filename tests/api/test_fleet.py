"""Heartbeats and faults in process (SQLite and PostgreSQL): latest status and a bounded history;
the sweep turns a silent box offline once with one maintenance event; its return resolves it; a
camera the box reports offline gets its own event, resolved by its clear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from api.jobs.fleet import run_fleet_sweep
from api.orm import Event, Heartbeat
from tests.api.builders import cell_center, cell_code, make_alert
from tests.api.conftest import World


def _beat(**extra: Any) -> dict[str, Any]:
    return {
        "device_id": "edge-01", "sent_at": datetime.now(UTC).isoformat(), "version": "0.1.0", "uptime_s": 5,
        "outbox_depth": 2, "parked": 1, "cpu_percent": 12.5, "memory_bytes": 10_000_000,
        "cameras": [{"id": "cam-1", "state": "streaming", "fps": 5.0, "frames": 100}],
    } | extra  # fmt: skip


def _post(world: World, **extra: Any) -> Any:
    reply = world.client.post("/v1/devices/me/heartbeat", json=_beat(**extra), headers=world.device)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _device_events(world: World) -> list[Event]:
    with world.ctx.sessions() as session:
        return list(session.scalars(select(Event).where(Event.type_code == "DEVICE").order_by(Event.id)))


def test_the_latest_heartbeat_is_kept_with_a_bounded_history(world: World) -> None:
    world.ctx.settings.heartbeat_history = 3
    for uptime in range(5):
        _post(world, uptime_s=uptime)
    assert run_fleet_sweep(world.ctx) == []  # the sweep trims the history; the box stays online
    box = world.client.get("/v1/devices/edge-01", headers=world.as_user("operator")).json()
    assert (box["state"], box["status"]["uptime_s"], box["status"]["parked"]) == ("online", 4, 1)
    assert box["sources"][0]["state"] == "online"  # cam-1 streams, says the heartbeat
    with world.ctx.sessions() as session:
        kept = session.scalars(select(Heartbeat.status).order_by(Heartbeat.id)).all()
    assert [k["uptime_s"] for k in kept] == [2, 3, 4]
    _post(world, cameras=[{"id": "cam-1", "state": "reconnecting", "fps": 0, "frames": 100}])
    listed = world.client.get("/v1/devices?state=offline", headers=world.as_user("operator")).json()
    assert [(d["box_id"], d["device_id"]) for d in listed] == [("edge-01", "cam-1")]


def test_a_silent_box_goes_offline_once_and_its_return_resolves_the_event(world: World) -> None:
    _post(world)
    later = datetime.now(UTC) + timedelta(seconds=world.ctx.settings.heartbeat_timeout_s + 1)
    assert run_fleet_sweep(world.ctx, now=later) == ["edge-01"]
    assert run_fleet_sweep(world.ctx, now=later + timedelta(minutes=5)) == []
    [event] = _device_events(world)
    assert (event.status, event.cell_code, event.alert_count) == ("new", cell_code(1, 1, 1), 1)
    devices = world.client.get("/v1/devices", headers=world.as_user("operator")).json()
    assert devices[0]["device_id"] == "edge-01"  # offline first
    assert devices[0]["state"] == "offline"
    assert _post(world)["came_back"] is True
    assert _post(world)["came_back"] is False
    [event] = _device_events(world)
    assert (event.status, event.alert_count) == ("resolved", 2)
    history = world.client.get(f"/v1/events/{event.code}", headers=world.as_user("admin")).json()["history"]
    assert (history[-1]["actor"], history[-1]["to_status"]) == ("system", "resolved")


def test_each_camera_reported_offline_gets_its_own_event_resolved_by_its_clear(world: World) -> None:
    at = cell_center(1, 1, 1)
    for source in ("cam-a", "cam-b"):
        reply = world.post_alert(make_alert(f"{source}-down", kind="device_offline", source_id=source, at=at))
        assert reply.status_code == 201
    again = make_alert("cam-a-down-2", kind="device_offline", source_id="cam-a", at=at)
    assert world.post_alert(again).json()["outcome"] == "joined"
    assert len(_device_events(world)) == 2
    cam_a = world.client.get("/v1/devices/edge-01/sources/cam-a", headers=world.as_user("admin")).json()
    assert cam_a["state"] == "offline"
    world.post_alert(make_alert("cam-a-up", kind="device_offline", source_id="cam-a", at=at, phase="cleared"))
    assert [e.status for e in _device_events(world)] == ["resolved", "new"]
    with world.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 2
