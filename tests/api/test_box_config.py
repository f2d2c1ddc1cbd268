"""A box's configuration kept at the centre: validated with the edge's model, versioned, read back by
admins and by the box itself (ETag, 304); an invalid one is refused naming the field, never stored."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
import yaml
from sqlalchemy import func, select

from api.orm import BoxConfigVersion, CameraSnapshot
from tests.api.conftest import World

CLIP = "/work/shared/clips/one-by-one-person-detection.mp4"


def box_document(*, zone: list[list[int]] | None = None, url: str = CLIP) -> dict[str, Any]:
    """A valid box configuration: one file camera with one zone and an intrusion rule."""
    points = zone or [[0, 0], [767, 0], [767, 431], [0, 431]]
    return {
        "cameras": [
            {
                "id": "cam-room",
                "url": url,
                "location": {"lon": 118.70, "lat": 32.00},
                "rules": {
                    "zones": [{"name": "room", "points": points}],
                    "rules": [{"type": "intrusion", "id": "room-in", "zone": "room", "classes": ["person"]}],
                },
            }
        ]
    }


def _versions(world: World) -> int:
    with world.ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(BoxConfigVersion)) or 0)


def test_admin_saves_versions_and_reads_them_back(world: World) -> None:
    admin = world.as_user("admin")
    first = world.client.put("/v1/devices/edge-01/config", json=box_document(), headers=admin)
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["created"], first.json()["created_by"]) == (
        1,
        True,
        "user:admin",
    )
    again = world.client.put("/v1/devices/edge-01/config", json=box_document(), headers=admin)
    assert (again.json()["version"], again.json()["created"]) == (1, False)
    moved = box_document(zone=[[0, 0], [300, 0], [300, 431], [0, 431]])
    second = world.client.put(
        "/v1/devices/edge-01/config",
        content=yaml.safe_dump(moved),
        headers={**admin, "Content-Type": "application/yaml"},
    )
    assert second.json()["version"] == 2
    newest = world.client.get("/v1/devices/edge-01/config", headers=admin).json()
    assert newest["config"]["cameras"][0]["rules"]["zones"][0]["points"][1] == [300, 0]
    old = world.client.get("/v1/devices/edge-01/config?version=1", headers=admin).json()
    assert old["config"] == box_document()
    listed = world.client.get("/v1/devices/edge-01/config/versions", headers=admin).json()
    assert [v["version"] for v in listed] == [2, 1]
    assert "config" not in listed[0]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (lambda d: d["cameras"][0].update(detect_fps=0), ["body", "cameras", 0, "detect_fps"]),
        (
            lambda d: d["cameras"][0]["rules"]["rules"][0].update(zone="nowhere"),
            ["body", "cameras", 0, "rules"],
        ),
        (lambda d: d["cameras"][0].pop("location"), ["body", "cameras", 0, "location"]),
        (lambda d: d.update(api={"url": "http://x", "token": "t" * 10}), ["body"]),
        (lambda d: d["cameras"].append(dict(d["cameras"][0])), ["body"]),
    ],
)
def test_an_invalid_configuration_is_refused_naming_the_field(
    world: World, change: Any, loc: list[Any]
) -> None:
    document = box_document()
    change(document)
    reply = world.client.put("/v1/devices/edge-01/config", json=document, headers=world.as_user("admin"))
    assert reply.status_code == 422, reply.text
    assert loc in [error["loc"] for error in reply.json()["detail"]], reply.json()
    assert _versions(world) == 0


def test_box_settings_in_the_document_are_named(world: World) -> None:
    document = {**box_document(), "api": {"url": "http://127.0.0.1:1", "token": "x" * 12}, "data_dir": "d"}
    reply = world.client.put("/v1/devices/edge-01/config", json=document, headers=world.as_user("admin"))
    assert reply.status_code == 422
    assert (
        "data_dir, api" in reply.json()["detail"][0]["msg"]
        or "api, data_dir" in reply.json()["detail"][0]["msg"]
    )


def test_bodies_that_do_not_parse_are_refused(world: World) -> None:
    admin = world.as_user("admin")
    for content, kind in ((b"{not json", "application/json"), (b"a: [b", "application/yaml"), (b"\xff", "")):
        reply = world.client.put(
            "/v1/devices/edge-01/config", content=content, headers={**admin, "Content-Type": kind}
        )
        assert reply.status_code == 422, (content, reply.text)
    listed = world.client.put("/v1/devices/edge-01/config", json=[1, 2], headers=admin)
    assert listed.status_code == 422
    assert "mapping" in listed.json()["detail"][0]["msg"]
    assert _versions(world) == 0


def test_only_global_admins_read_or_write_and_boxes_must_exist(world: World) -> None:
    document = box_document()
    for user in ("operator", "supervisor", "admin_t2"):
        assert (
            world.client.put(
                "/v1/devices/edge-01/config", json=document, headers=world.as_user(user)
            ).status_code
            == 403
        )
        assert world.client.get("/v1/devices/edge-01/config", headers=world.as_user(user)).status_code == 403
    assert (
        world.client.put("/v1/devices/edge-01/config", json=document, headers=world.device).status_code == 401
    )
    missing = world.client.put("/v1/devices/edge-99/config", json=document, headers=world.as_user("admin"))
    assert missing.status_code == 404
    assert "edge-99" in missing.json()["detail"]
    assert world.client.get("/v1/devices/edge-01/config", headers=world.as_user("admin")).status_code == 404


def test_the_box_reads_its_own_configuration_with_an_etag(world: World) -> None:
    assert world.client.get("/v1/devices/me/config", headers=world.device).status_code == 404
    world.client.put("/v1/devices/edge-01/config", json=box_document(), headers=world.as_user("admin"))
    first = world.client.get("/v1/devices/me/config", headers=world.device)
    assert first.status_code == 200
    assert (first.json()["device_id"], first.json()["version"]) == ("edge-01", 1)
    tag = first.headers["ETag"]
    unchanged = world.client.get("/v1/devices/me/config", headers={**world.device, "If-None-Match": tag})
    assert unchanged.status_code == 304
    world.client.put(
        "/v1/devices/edge-01/config",
        json=box_document(zone=[[0, 0], [9, 0], [9, 9]]),
        headers=world.as_user("admin"),
    )
    changed = world.client.get("/v1/devices/me/config", headers={**world.device, "If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    assert changed.headers["ETag"] != tag
    assert world.client.get("/v1/devices/me/config", headers=world.as_user("admin")).status_code == 401


def test_a_password_in_a_camera_url_is_accepted_with_a_warning(world: World) -> None:
    admin = world.as_user("admin")
    clear = box_document(url="rtsp://admin:secret@127.0.0.1:8554/cam")
    reply = world.client.put("/v1/devices/edge-01/config", json=clear, headers=admin)
    assert reply.status_code == 200
    assert reply.json()["warnings"]
    assert "cameras.0.url" in reply.json()["warnings"][0]
    placeholder = box_document(url="rtsp://admin:${CAM_PASSWORD}@127.0.0.1:8554/cam")
    assert (
        world.client.put("/v1/devices/edge-01/config", json=placeholder, headers=admin).json()["warnings"]
        == []
    )


def _jpeg(width: int, height: int) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((height, width, 3), 128, np.uint8))
    assert ok
    return bytes(data.tobytes())


def test_the_box_sends_pictures_of_its_configured_cameras_only(world: World) -> None:
    url = "/v1/devices/me/cameras/cam-room/snapshot"
    jpeg = {**world.device, "Content-Type": "image/jpeg"}
    assert world.client.put(url, content=_jpeg(64, 36), headers=jpeg).status_code == 404  # no config yet
    world.client.put("/v1/devices/edge-01/config", json=box_document(), headers=world.as_user("admin"))
    assert world.client.put(url, content=_jpeg(64, 36), headers=jpeg).status_code == 204
    assert world.client.put(url, content=_jpeg(80, 40), headers=jpeg).status_code == 204
    other = world.client.put("/v1/devices/me/cameras/cam-other/snapshot", content=_jpeg(8, 8), headers=jpeg)
    assert other.status_code == 404
    assert "cam-other" in other.json()["detail"]
    for body in (b"not a picture", b"\xff\xd8broken"):
        bad = world.client.put(url, content=body, headers=jpeg)
        assert bad.status_code == 422
        assert "JPEG" in bad.json()["detail"][0]["msg"]
    assert world.client.put(url, content=_jpeg(8, 8), headers=world.as_user("admin")).status_code == 401
    with world.ctx.sessions() as session:
        rows = session.scalars(select(CameraSnapshot)).all()
        assert [(r.camera_id, r.width, r.height) for r in rows] == [("cam-room", 80, 40)]
