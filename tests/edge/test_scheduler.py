"""The inference scheduler in the edge pipeline: the same alerts on the shared clips, on or off.

Both clips run at once through one scheduler (their model runs batched together when they meet), and
one after another with each camera running the model itself; the alerts must be the same.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from detectors import Detector
from detectors.config import SchedulerConfig
from edge.config import CameraConfig, EdgeConfig
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline
from edge.scheduling import Schedulers
from gridwatch.contracts import Alert
from ingest import VideoSource, VideoSourceConfig
from tests.support.models import CAR_CLIP, PERSON_CLIP, default_model

pytestmark = pytest.mark.slow

FULL_FRAME = [[0, 0], [768, 0], [768, 432], [0, 432]]
RULES: dict[Path, dict[str, Any]] = {
    PERSON_CLIP: {
        "lines": [{"name": "exit", "start": [620, 150], "end": [620, 431]}],
        "rules": [
            {"type": "intrusion", "id": "room", "zone": "all", "classes": ["person"], "min_frames": 3},
            {"type": "line_crossing", "id": "exit", "line": "exit", "classes": ["person"]},
        ],
    },
    CAR_CLIP: {
        "lines": [{"name": "lane", "start": [0, 216], "end": [767, 216]}],
        "rules": [
            {"type": "intrusion", "id": "lot", "zone": "all", "classes": ["vehicle"], "min_frames": 3},
            {"type": "line_crossing", "id": "lane", "line": "lane", "classes": ["vehicle"]},
        ],
    },
}


def clip_camera(clip: Path) -> CameraConfig:
    return CameraConfig.model_validate({
        "id": clip.stem, "url": str(clip), "location": {"lon": 118.702, "lat": 32.002}, "detect_fps": 5,
        "regions": {"enabled": True},
        "rules": {"zones": [{"name": "all", "points": FULL_FRAME}], **RULES[clip]},
    })  # fmt: skip


Signature = list[tuple[object, ...]]


def run_camera(camera: CameraConfig, outbox: Outbox, schedulers: Schedulers | None) -> tuple[Signature, int]:
    """Alert signatures of one pass over the camera's clip, and the detector calls made."""
    detector = Detector.from_config(camera.detector)
    lane = None if schedulers is None else schedulers.lane(camera.id, detector)
    pipeline = CameraPipeline(camera, detector, device_id="edge-test", outbox=outbox, lane=lane)
    alerts: list[Alert] = []
    assert camera.url is not None
    with VideoSource(VideoSourceConfig.of(camera.source, id=camera.id, url=camera.url)) as source:
        for frame in source.frames():
            alerts += pipeline.process(frame)
    assert pipeline.stats.dropped == pipeline.stats.errors == 0
    return [
        (a.details["frame"], a.rule, a.details.get("direction")) for a in alerts
    ], pipeline.stats.detector_calls


def test_alerts_are_the_same_with_the_scheduler_on_and_off(tmp_path: Path) -> None:
    default_model()
    cameras = [clip_camera(PERSON_CLIP), clip_camera(CAR_CLIP)]
    off = {c.id: run_camera(c, Outbox(tmp_path / f"off-{c.id}.db"), None) for c in cameras}
    schedulers = Schedulers(SchedulerConfig(batch_wait_ms=20, max_batch=8))  # batches as on a GPU
    on: dict[str, tuple[Signature, int]] = {}

    def run(camera: CameraConfig) -> None:
        on[camera.id] = run_camera(camera, Outbox(tmp_path / f"on-{camera.id}.db"), schedulers)

    threads = [threading.Thread(target=run, args=(camera,)) for camera in cameras]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    schedulers.close()
    assert on == off
    assert all(len(signature) >= 4 for signature, _ in off.values())  # both clips raise alerts
    (scheduler,) = schedulers.all()  # one model, one scheduler for both cameras
    lanes = scheduler.lanes()
    assert set(lanes) == {c.id for c in cameras}
    for stats in lanes.values():
        assert stats.submitted == stats.completed > 0
        assert stats.dropped == stats.failed == 0
    calls = sum(detector_calls for _, detector_calls in on.values())
    assert sum(s.submitted for s in lanes.values()) > calls  # motion-region crops went through it too
    health = schedulers.health()[scheduler.name]
    assert health["runs"] == scheduler.stats.runs <= sum(s.completed for s in lanes.values())


@pytest.mark.parametrize(
    ("yaml_text", "enabled"),
    [("scheduler: off", False), ("scheduler: on", True), ("scheduler: {enabled: false, max_batch: 4}", False),
     ("{}", True)],
)  # fmt: skip
def test_the_scheduler_is_on_unless_switched_off(yaml_text: str, enabled: bool) -> None:
    raw: dict[str, Any] = yaml.safe_load(yaml_text)
    raw["device_id"], raw["api"] = "edge-1", {"url": "http://127.0.0.1:8000", "token": "t" * 20}
    raw["cameras"] = [{"id": "cam", "url": str(PERSON_CLIP), "location": {"lon": 118.7, "lat": 32.0}}]
    assert EdgeConfig.model_validate(raw).scheduler.enabled is enabled


def test_a_bad_scheduler_setting_names_the_field() -> None:
    raw: dict[str, Any] = {"device_id": "edge-1", "api": {"url": "http://127.0.0.1:8000", "token": "t" * 20}}
    raw["cameras"] = [{"id": "cam", "url": str(PERSON_CLIP), "location": {"lon": 118.7, "lat": 32.0}}]
    raw["scheduler"] = {"max_batch": 0}
    with pytest.raises(ValueError, match=r"scheduler\.max_batch"):
        EdgeConfig.model_validate(raw)
