"""A box run with `--centre`, the centre and the box as real processes, the real model on a real clip:
the box runs the cameras configured at the centre; a zone edited through the API changes the next
alerts' zone while both streams go on (frame counters keep going, no restart); with the centre
stopped, a restarted box runs on its cached configuration. A camera whose stream settings change
restarts alone; a new camera starts beside the others."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.builders import cell_center
from tests.support.box import CentreBox
from tests.support.centre import CentreApi, Seeded, api_admin, wait_for
from tests.support.models import PERSON_CLIP, default_model

pytestmark = pytest.mark.slow


def zone_rules(name: str) -> dict[str, Any]:
    """The whole 768x432 picture as zone `name`, with intrusion rule `<name>-in` for people."""
    return {
        "zones": [{"name": name, "points": [[0, 0], [767, 0], [767, 431], [0, 431]]}],
        "rules": [{"type": "intrusion", "id": f"{name}-in", "zone": name, "classes": ["person"]}],
    }


def camera(camera_id: str, zone: str) -> dict[str, Any]:
    """A camera on the person clip in demo cell DX-T01-V01-C001 (where the test box's sources stand)."""
    lon, lat = cell_center(1, 1, 1)
    return {
        "id": camera_id, "url": str(PERSON_CLIP), "realtime": True, "detect_fps": 2,
        "location": {"lon": lon, "lat": lat}, "rules": zone_rules(zone),
    }  # fmt: skip


def rules_seen(centre: CentreApi, camera_id: str) -> list[str]:
    """The rule of every alert of `camera_id` the centre holds."""
    headers = {"Authorization": f"Bearer {centre.user_token}"}
    with httpx.Client(base_url=centre.url, headers=headers, timeout=10) as client:
        events = client.get("/v1/events", params={"limit": 200}).json()["items"]
        alerts = [a for e in events for a in client.get(f"/v1/events/{e['code']}").json()["alerts"]]
    return [a["payload"]["rule"] for a in alerts if a["source_id"] == camera_id]


def frames_went_on(box: CentreBox, camera_id: str, frames: int) -> bool:
    """Whether `camera_id` on `box` has counted more than `frames` frames."""
    return bool(box.health()["cameras"][camera_id]["frames"] > frames)


def test_the_box_runs_the_centres_configuration_and_applies_a_zone_in_place(
    tmp_path: Path, seeded: Seeded
) -> None:
    default_model()
    admin = api_admin("add-user", "root", "--role", "admin", database=seeded.database)
    centre = CentreApi(seeded, tmp_path)
    headers = {"Authorization": f"Bearer {admin}"}
    document = {"cameras": [camera("cam-1", "yard"), camera("cam-room", "gate")]}
    box = CentreBox("", seeded.device_token, tmp_path)
    try:
        centre.start()
        box.centre_url = centre.url
        stored = httpx.put(f"{centre.url}/v1/devices/edge-test/config", json=document, headers=headers)
        assert stored.json()["version"] == 1, stored.text
        box.start()
        box.wait_version(1, {"cam-1", "cam-room"})
        wait_for(lambda: "yard-in" in rules_seen(centre, "cam-1"), "an alert of cam-1 in zone yard")
        before = box.health()["cameras"]

        document["cameras"][0]["rules"] = zone_rules("door")
        edited = httpx.put(f"{centre.url}/v1/devices/edge-test/config", json=document, headers=headers)
        assert edited.json()["version"] == 2
        after = box.wait_version(2, {"cam-1", "cam-room"})["cameras"]
        wait_for(
            lambda: "door-in" in rules_seen(centre, "cam-1"), "an alert of cam-1 in the edited zone door"
        )
        for camera_id in ("cam-1", "cam-room"):  # neither stream was reopened: same start, counters go on
            assert before[camera_id]["frames"] <= after[camera_id]["frames"]  # read in bursts per detect tick
            wait_for(
                partial(frames_went_on, box, camera_id, after[camera_id]["frames"]),
                f"{camera_id}'s frame counter to go on after the edit",
            )
        later = box.health()["cameras"]
        for camera_id in ("cam-1", "cam-room"):
            assert before[camera_id]["since"] == after[camera_id]["since"] == later[camera_id]["since"]
        assert "updated in place cam-1" in box.log.read_text()
        assert set(rules_seen(centre, "cam-room")) <= {"gate-in"}

        document["cameras"][0]["detect_fps"] = 3  # restarts cam-1 alone; cam-lot is new
        document["cameras"].append(camera("cam-lot", "lane"))
        assert httpx.put(
            f"{centre.url}/v1/devices/edge-test/config", json=document, headers=headers
        ).is_success
        third = box.wait_version(3, {"cam-1", "cam-room", "cam-lot"})["cameras"]
        assert third["cam-1"]["since"] != later["cam-1"]["since"]
        assert third["cam-room"]["since"] == later["cam-room"]["since"]
        assert third["cam-room"]["frames"] > later["cam-room"]["frames"]
        assert "added cam-lot; restarted cam-1" in box.log.read_text()

        assert box.stop() is not None
        centre.stop()
        box.start()
        body = box.wait_version(3, {"cam-1", "cam-room", "cam-lot"})
        assert body["config"]["started_on_cache"] is True
        assert "starting on the cached configuration version 3" in box.log.read_text()
    finally:
        box.stop(kill=True)
        centre.stop()
