"""The camera page: picture, zones and lines; admins save edited rules as a new configuration version,
operators read only, a user outside the camera's place gets 404; a bad edit is refused naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.builders import cell_center
from tests.api.conftest import World
from tests.api.console_helpers import csrf_of, give_passwords, log_in
from tests.api.test_box_config import _jpeg, box_document

PAGE = "/devices/edge-01/cameras/cam-room"


@pytest.fixture
def configured(world: World) -> World:
    document = box_document()
    lon, lat = cell_center(1, 1, 1)
    document["cameras"][0]["location"] = {"lon": lon, "lat": lat}
    assert world.client.put(
        "/v1/devices/edge-01/config", json=document, headers=world.as_user("admin")
    ).is_success
    give_passwords(world.ctx, "admin", "operator", "op_t1", "op_t2")
    return world


def _as(world: World, user: str) -> tuple[TestClient, str]:
    client = TestClient(world.app, base_url="http://testserver")
    return client, log_in(client, user)


def test_admins_get_the_editor_and_operators_read_only(configured: World) -> None:
    admin, _ = _as(configured, "admin")
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert 'data-action="draw-zone"' in page.text
    assert 'data-editable="yes"' in page.text
    assert "&#34;room&#34;" in page.text or "&quot;room&quot;" in page.text  # the zones for the script
    assert "data-blank" in page.text  # no picture from the box yet
    for user in ("operator", "op_t1"):
        client, _ = _as(configured, user)
        read = client.get(PAGE)
        assert read.status_code == 200
        assert "data-read-only" in read.text
        assert 'data-action="draw-zone"' not in read.text
    outside, _ = _as(configured, "op_t2")
    assert outside.get(PAGE).status_code == 404
    assert outside.get(f"{PAGE}/picture").status_code == 404
    assert admin.get("/devices/edge-01/cameras/cam-none").status_code == 404


def test_the_picture_the_box_sent_is_shown(configured: World) -> None:
    jpeg = _jpeg(320, 180)
    headers = {**configured.device, "Content-Type": "image/jpeg"}
    assert (
        configured.client.put(
            "/v1/devices/me/cameras/cam-room/snapshot", content=jpeg, headers=headers
        ).status_code
        == 204
    )
    admin, _ = _as(configured, "admin")
    page = admin.get(PAGE)
    assert 'viewBox="0 0 320 180"' in page.text
    assert "data-snapshot" in page.text
    picture = admin.get(f"{PAGE}/picture")
    assert (picture.status_code, picture.headers["content-type"], picture.content) == (
        200,
        "image/jpeg",
        jpeg,
    )


def _rules(name: str) -> dict[str, Any]:
    return {
        "zones": [{"name": name, "points": [[10, 10], [200, 10], [200, 150]]}],
        "rules": [{"type": "intrusion", "id": f"{name}-in", "zone": name, "classes": ["person"]}],
    }


def test_an_admin_saves_rules_as_a_new_version(configured: World) -> None:
    admin, csrf = _as(configured, "admin")
    form = {"csrf_token": csrf, "base_version": "1", "rules": json.dumps(_rules("door"))}
    saved = admin.post(f"{PAGE}/rules", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}?saved=2"
    stored = configured.client.get("/v1/devices/edge-01/config", headers=configured.as_user("admin")).json()
    assert stored["version"] == 2
    assert stored["created_by"] == "console:admin"
    assert stored["config"]["cameras"][0]["rules"] == _rules("door")
    assert stored["config"]["cameras"][0]["url"] == box_document()["cameras"][0]["url"]  # the rest is kept
    stale = admin.post(f"{PAGE}/rules", data=form)  # began on version 1, which is no longer the newest
    assert stale.status_code == 409


def test_a_bad_edit_is_refused_naming_the_field_and_nothing_is_stored(configured: World) -> None:
    admin, csrf = _as(configured, "admin")
    bad = _rules("门口")  # names are ASCII
    reply = admin.post(
        f"{PAGE}/rules", data={"csrf_token": csrf, "base_version": "1", "rules": json.dumps(bad)}
    )
    assert reply.status_code == 422
    assert "cameras.0.rules.zones.0.name" in reply.text
    assert 'data-error="rules"' in reply.text
    listed = configured.client.get("/v1/devices/edge-01/config/versions", headers=configured.as_user("admin"))
    assert [v["version"] for v in listed.json()] == [1]


def test_operators_and_forms_without_csrf_cannot_save(configured: World) -> None:
    operator, csrf = _as(configured, "operator")
    form = {"csrf_token": csrf, "base_version": "1", "rules": json.dumps(_rules("door"))}
    assert operator.post(f"{PAGE}/rules", data=form).status_code == 403
    admin, _ = _as(configured, "admin")
    assert admin.post(f"{PAGE}/rules", data={**form, "csrf_token": "forged"}).status_code == 403
    assert csrf_of(admin.get(PAGE).text)
    listed = configured.client.get("/v1/devices/edge-01/config/versions", headers=configured.as_user("admin"))
    assert len(listed.json()) == 1


def test_the_box_configuration_page_lists_versions_and_cameras(configured: World) -> None:
    document = box_document(url="rtsp://admin:secret@127.0.0.1:8554/cam")
    assert configured.client.put(
        "/v1/devices/edge-01/config", json=document, headers=configured.as_user("admin")
    ).is_success
    admin, _ = _as(configured, "admin")
    page = admin.get("/devices/edge-01/config")
    assert page.status_code == 200
    assert 'data-version-row="2"' in page.text
    assert 'data-version-row="1"' in page.text
    assert f'href="{PAGE}"' in page.text
    assert "rtsp://admin:***@127.0.0.1:8554/cam" in page.text
    assert "secret" not in page.text
    for user in ("operator", "admin_t2"):
        give_passwords(configured.ctx, user)
        client, _ = _as(configured, user)
        assert client.get("/devices/edge-01/config").status_code == 403
    assert admin.get("/devices/edge-99/config").status_code == 404
