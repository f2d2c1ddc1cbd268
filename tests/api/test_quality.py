"""`GET /v1/quality`: counts per camera, rule and model from the seeded verdicts; suggestions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import World
from tests.api.quality_builders import SEEDED, seed_quality


@pytest.fixture
def quality(world: World) -> Any:
    def post(alert: dict[str, Any]) -> str:
        reply = world.post_alert(alert)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["event_code"])

    def act(code: str, body: dict[str, Any]) -> None:
        reply = world.client.post(
            f"/v1/events/{code}/actions", json=body, headers=world.as_user("supervisor")
        )
        assert reply.status_code == 200, reply.text

    seed_quality(post, act)
    reply = world.client.get("/v1/quality", headers=world.as_user("supervisor"))
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_cameras_counted_from_verdicts_noisiest_first(quality: Any) -> None:
    cams = quality["cameras"]
    assert [c["source_id"] for c in cams] == ["cam-gate", "cam-yard"]
    for cam in cams:
        seeded = SEEDED[cam["source_id"]]
        fa, ok = len(seeded["false"]), len(seeded["confirmed"])
        assert (cam["last_30d"]["false_alarms"], cam["last_30d"]["confirmed"], cam["last_30d"]["alerts"]) == (
            fa,
            ok,
            fa + ok,
        )
        assert cam["last_7d"]["precision"] == round(ok / (ok + fa), 4)
        assert cam["false_alarms_by_reason"] == {"wrong_object": fa}


def test_rules_and_models_sum_the_cameras(quality: Any) -> None:
    total_fa = sum(len(s["false"]) for s in SEEDED.values())
    assert [(r["key"], r["last_30d"]["false_alarms"]) for r in quality["rules"]] == [
        ("gate-after-hours", total_fa)
    ]
    assert [(m["key"], m["last_30d"]["false_alarms"]) for m in quality["models"]] == [
        ("yolov3-tiny-coco", total_fa)
    ]


def test_the_gate_camera_gets_a_threshold_and_a_mask_suggestion(quality: Any) -> None:
    gate = quality["cameras"][0]
    t = gate["threshold"]
    false = [s for s, _ in SEEDED["cam-gate"]["false"]]
    ok = [s for s, _ in SEEDED["cam-gate"]["confirmed"]]
    assert t["label"] == "person"
    assert (t["false_alarms_removed"], t["false_alarms"]) == (
        sum(s < t["threshold"] for s in false),
        len(false),
    )
    assert (t["confirmed_removed"], t["confirmed"]) == (sum(s < t["threshold"] for s in ok), len(ok))
    assert t["false_alarms_removed"] == 8
    assert t["confirmed_removed"] == 0
    x1, y1, x2, y2 = gate["mask"]["region"]
    inside = [
        b
        for _, b in SEEDED["cam-gate"]["false"]
        if x1 <= (b[0] + b[2]) / 2 < x2 and y1 <= (b[1] + b[3]) / 2 < y2
    ]
    assert gate["mask"]["false_alarms_inside"] == len(inside) == 8
    assert gate["mask"]["confirmed_inside"] == 0
    assert quality["cameras"][1]["threshold"] is None


def test_a_scoped_user_sees_only_their_cameras(world: World, quality: Any) -> None:
    reply = world.client.get("/v1/quality", headers=world.as_user("sup_t2"))
    assert [c["source_id"] for c in reply.json()["cameras"]] == ["cam-yard"]
