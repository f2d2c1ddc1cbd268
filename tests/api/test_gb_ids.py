"""A GB/T 28181 camera id (20 digits) fits the alert contract and comes back intact from the grid event."""

from __future__ import annotations

from gridwatch.contracts import Alert
from ingest.gb28181 import parse_gb_id
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World

GB_CAMERA = "32010200001320000001"
LONGEST_EDGE_ALERT_ID = f"{GB_CAMERA[:24]}-{'f' * 32}"
"""The shape of alert ids the edge builds for a camera (pipeline and offline monitor)."""


def test_the_alert_contract_takes_a_gb_id_as_source_and_in_alert_ids() -> None:
    alert = Alert.model_validate(make_alert(LONGEST_EDGE_ALERT_ID, source_id=GB_CAMERA))
    again = Alert.model_validate_json(alert.model_dump_json())
    assert again.source_id == GB_CAMERA
    assert len(again.alert_id) <= 64
    assert parse_gb_id(again.source_id).is_camera


def test_the_grid_event_shows_the_gb_id_of_its_camera(world: World) -> None:
    body = make_alert(LONGEST_EDGE_ALERT_ID, at=cell_center(1, 1, 1))
    body["source_id"] = GB_CAMERA
    reply = world.post_alert(body)
    assert reply.status_code == 201, reply.text
    detail = world.client.get(f"/v1/events/{reply.json()['event_code']}", headers=world.as_user("admin"))
    (alert,) = detail.json()["alerts"]
    assert alert["source_id"] == GB_CAMERA
    assert alert["alert_id"] == LONGEST_EDGE_ALERT_ID
    assert alert["payload"]["source_id"] == GB_CAMERA
