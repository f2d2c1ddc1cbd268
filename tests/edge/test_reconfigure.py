"""What a new configuration changes on a running box: camera by camera, pure (no threads)."""

from __future__ import annotations

from typing import Any

import pytest

from edge.config import BoxConfig
from edge.reconfigure import plan

CLIP = "/work/shared/clips/one-by-one-person-detection.mp4"


def camera(camera_id: str, **changes: Any) -> dict[str, Any]:
    """A camera entry with one zone and an intrusion rule; `changes` replace fields."""
    entry: dict[str, Any] = {
        "id": camera_id,
        "url": CLIP,
        "location": {"lon": 118.7, "lat": 32.0},
        "rules": {
            "zones": [{"name": "room", "points": [[0, 0], [100, 0], [100, 100]]}],
            "rules": [{"type": "intrusion", "id": "in", "zone": "room", "classes": ["person"]}],
        },
    }
    return entry | changes


def box(*cameras: dict[str, Any], **extra: Any) -> BoxConfig:
    return BoxConfig.model_validate({"cameras": list(cameras), **extra})


MOVED_ZONE = {
    "zones": [{"name": "door", "points": [[5, 5], [50, 5], [50, 50]]}],
    "rules": [{"type": "intrusion", "id": "door-in", "zone": "door", "classes": ["person"]}],
}


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ((camera("a"), camera("b")), ([], [], [], [])),
        ((camera("a", rules=MOVED_ZONE), camera("b")), ([], [], [], ["a"])),
        ((camera("a", name="Gate", location={"lon": 118.8, "lat": 32.1}), camera("b")), ([], [], [], ["a"])),
        ((camera("a", detect_fps=2), camera("b")), ([], [], ["a"], [])),
        ((camera("a", url="/other.mp4", rules=MOVED_ZONE), camera("b")), ([], [], ["a"], [])),
        ((camera("b"), camera("c")), (["a"], ["c"], [], [])),
    ],
)
def test_each_camera_is_left_updated_restarted_added_or_removed(
    after: tuple[dict[str, Any], ...], expected: tuple[list[str], ...]
) -> None:
    change = plan(box(camera("a"), camera("b")), box(*after))
    found = (change.removed, [c.id for c in change.added], [c.id for c in change.restarted],
             [c.id for c in change.updated])  # fmt: skip
    assert found == expected
    assert change.empty == (expected == ([], [], [], []))
    assert not change.sensors


def test_sensor_changes_restart_the_sensors_only() -> None:
    mqtt = {"host": "127.0.0.1", "port": 1883, "client_id": "box"}
    sensor = {"id": "wl-1", "kind": "water_level", "location": {"lon": 118.7, "lat": 32.0},
              "threshold": {"above": 1.2, "clear_below": 1.1}}  # fmt: skip
    before = box(camera("a"), mqtt=mqtt, sensors=[sensor])
    raised = box(camera("a"), mqtt=mqtt, sensors=[sensor | {"threshold": {"above": 1.5, "clear_below": 1.4}}])
    change = plan(before, raised)
    assert change.sensors
    assert (change.removed, change.added, change.restarted, change.updated) == ([], [], [], [])
    assert "sensors restarted" in change.describe()
