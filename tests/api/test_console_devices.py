"""The devices pages through TestClient: scoped like the JSON routes, offline first, filters in the URL,
a box's latest heartbeat and sources; bad filters are named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.jobs.fleet import run_fleet_sweep
from api.services.principals import create_device
from tests.api.builders import cell_center, make_alert, register_source, source_at
from tests.api.conftest import World
from tests.api.console_helpers import give_passwords, log_in

HEARTBEAT = {
    "device_id": "edge-01", "sent_at": "2026-11-28T04:00:00Z", "version": "0.1.0", "uptime_s": 3725,
    "outbox_depth": 4, "parked": 2, "cpu_percent": 37.5, "memory_bytes": 104857600,
    "cameras": [{"id": "cam-1", "state": "streaming", "fps": 4.9, "frames": 1200}],
}  # fmt: skip


def _fleet(world: World) -> str:
    """edge-01 with cam-1 (T01) and a camera in T02; edge-t2 with one camera in T02; edge-01 beats."""
    give_passwords(world.ctx, "op_t1", "op_t2", "supervisor")
    with world.ctx.sessions() as session:
        create_device(session=session, device_id="edge-t2", kind="edge")
        session.commit()
    register_source(
        world.ctx, make_alert("x", device_id="edge-t2", source_id="yard-t2", at=cell_center(2, 2, 1))
    )
    in_t2 = make_alert("y", at=cell_center(2, 1, 1))
    register_source(world.ctx, in_t2)
    assert (
        world.client.post("/v1/devices/me/heartbeat", json=HEARTBEAT, headers=world.device).status_code == 200
    )
    return str(in_t2["source_id"])


def test_devices_pages_show_only_the_users_subtree(world: World) -> None:
    in_t2 = _fleet(world)
    csrf = log_in(world.client, "op_t1")
    page = world.client.get("/devices").text
    assert 'data-device="edge-01/cam-1"' in page
    assert "edge-t2" not in page
    assert in_t2 not in page
    assert world.client.get("/devices/edge-t2").status_code == 404
    assert "yard-t2" not in world.client.get("/devices/edge-t2").text
    world.client.post("/logout", data={"csrf_token": csrf})
    log_in(world.client, "op_t2")
    assert 'data-device="edge-t2/yard-t2"' in world.client.get("/devices").text
    box = world.client.get("/devices/edge-01").text
    assert f'data-source="{in_t2}"' in box
    assert 'data-source="cam-1"' not in box


def test_offline_first_filters_and_the_box_page(world: World) -> None:
    _fleet(world)
    later = datetime.now(UTC) + timedelta(seconds=world.ctx.settings.heartbeat_timeout_s + 5)
    world.client.post("/v1/devices/me/heartbeat", json=HEARTBEAT, headers=world.device)
    assert run_fleet_sweep(world.ctx, now=later) == ["edge-01"]
    csrf = log_in(world.client, "supervisor")
    page = world.client.get("/devices").text
    rows = [line for line in page.splitlines() if "data-device=" in line]
    assert 'data-state="offline"' in rows[0]
    assert rows[0].count("edge-01/edge-01") == 1
    offline = world.client.get("/devices?state=offline&kind=edge").text
    assert offline.count("data-device=") == 1
    assert world.client.get("/devices?state=lost").status_code == 422
    box = world.client.get("/devices/edge-01").text
    assert 'data-box-state="offline"' in box
    assert "<dd data-outbox>4</dd>" in box
    assert "<dd data-parked>2</dd>" in box
    assert "1:02:05" in box  # uptime 3725 s
    assert '<tr data-source="cam-1" data-state="offline">' in box  # its box is offline
    assert source_at(cell_center(2, 1, 1)) in box
    assert "最近一次心跳" in box
    form = {"csrf_token": csrf, "locale": "en", "next": "/devices/edge-01"}
    english = world.client.post("/account/language", data=form).text
    assert "Latest heartbeat" in english
    assert "Alerts waiting" in english
