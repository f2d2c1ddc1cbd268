"""The camera pipeline on the real person clip with the real default model.

Counted by eye (see the closing note of the edge issue): six people walk into the room one after
another, each enters from the bottom left, stands at the table and leaves to the right. Nobody is
in the room during frames 0-60, 200-225, 450-505, 700-745, 870-925, 1200-1235 and 1360-1393.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detectors import Detector
from edge.config import CameraConfig
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline
from gridwatch.contracts import Alert
from ingest import VideoSource, VideoSourceConfig
from tests.support.models import PERSON_CLIP, default_model

pytestmark = pytest.mark.slow

PEOPLE = 6
PRESENT = [(62, 200), (225, 450), (505, 700), (745, 870), (925, 1200), (1235, 1360)]


Runs = dict[str, tuple[CameraPipeline, list[Alert], Outbox]]


def room_camera(*, gate: bool) -> CameraConfig:
    return CameraConfig.model_validate(
        {
            "id": "cam-room",
            "url": str(PERSON_CLIP),
            "location": {"lon": 118.702, "lat": 32.002},
            "detect_fps": 5,
            "motion": {"enabled": gate},
            "rules": {
                "zones": [{"name": "room", "points": [[0, 0], [768, 0], [768, 432], [0, 432]]}],
                "lines": [{"name": "exit", "start": [620, 150], "end": [620, 431]}],
                "rules": [
                    {
                        "type": "intrusion",
                        "id": "room",
                        "zone": "room",
                        "classes": ["person"],
                        "min_frames": 3,
                    },
                    {"type": "line_crossing", "id": "exit", "line": "exit", "classes": ["person"]},
                ],
            },
        }
    )


def run_clip(camera: CameraConfig, outbox: Outbox) -> tuple[CameraPipeline, list[Alert]]:
    default_model()
    pipeline = CameraPipeline(
        camera, Detector.from_config(camera.detector), device_id="edge-test", outbox=outbox
    )
    alerts: list[Alert] = []
    assert camera.url is not None
    with VideoSource(VideoSourceConfig.of(camera.source, id=camera.id, url=camera.url)) as source:
        for frame in source.frames():
            alerts += pipeline.process(frame)
    return pipeline, alerts


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    out = {}
    for name, gate in (("gated", True), ("ungated", False)):
        outbox = Outbox(tmp_path_factory.mktemp(name) / "outbox.db")
        pipeline, alerts = run_clip(room_camera(gate=gate), outbox)
        out[name] = (pipeline, alerts, outbox)
    return out


def signature(alerts: list[Alert]) -> list[tuple[object, ...]]:
    return [(a.details["frame"], a.rule, a.details.get("direction")) for a in alerts]


def test_one_intrusion_per_person_and_none_while_the_room_is_empty(runs: Runs) -> None:
    _, alerts, _ = runs["gated"]
    intrusions = [a for a in alerts if a.rule == "room"]
    assert len(intrusions) == PEOPLE
    for alert in alerts:
        frame = int(alert.details["frame"])
        assert any(start <= frame <= end for start, end in PRESENT), (
            f"alert at frame {frame} with nobody there"
        )
    episodes = {
        next(k for k, (s, e) in enumerate(PRESENT) if s <= int(a.details["frame"]) <= e) for a in intrusions
    }
    assert episodes == set(range(PEOPLE))  # one per person, not two for one and none for another


def test_one_exit_crossing_per_person_in_the_same_direction(runs: Runs) -> None:
    _, alerts, _ = runs["gated"]
    crossings = [a for a in alerts if a.rule == "exit"]
    assert len(crossings) == PEOPLE
    assert {a.details["direction"] for a in crossings} == {"b_to_a"}  # everyone leaves to the right


def test_motion_gate_cuts_detector_calls_without_changing_alerts(runs: Runs) -> None:
    gated, gated_alerts, _ = runs["gated"]
    ungated, ungated_alerts, _ = runs["ungated"]
    assert signature(gated_alerts) == signature(ungated_alerts)
    assert gated.stats.frames == ungated.stats.frames == 697
    assert ungated.stats.detector_calls == 697
    assert gated.stats.detector_calls * 1.5 <= ungated.stats.detector_calls
    assert gated.stats.gated + gated.stats.detector_calls == gated.stats.frames


def test_alerts_are_queued_with_evidence_drawn_where_the_person_is(runs: Runs) -> None:
    _, alerts, outbox = runs["gated"]
    assert [p.alert.alert_id for p in outbox.pending(100)] == [a.alert_id for a in alerts]
    for alert in alerts:
        assert alert.kind.value in {"intrusion", "line_crossing"}
        assert alert.location.lon == 118.702
        assert alert.model is not None
        assert alert.model.name == "yolov3-tiny-coco"
        (box,) = alert.evidence.boxes
        assert box.label == "person"
        assert box.track_id is not None
        image = cv2.imdecode(np.frombuffer(alert.evidence.snapshot_bytes(), np.uint8), cv2.IMREAD_COLOR)
        assert image is not None
        assert image.shape == (432, 768, 3)
        x1, y1, _, _ = (round(v) for v in box.box)
        edge = image[max(y1, 30) : max(y1, 30) + 40, x1 : x1 + 2].astype(int)  # the box's left edge
        assert (edge[..., 2] - edge[..., 1]).mean() > 80  # drawn in the person colour (red), not wall/floor
