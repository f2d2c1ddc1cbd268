"""Per-camera object filters: area, ratio, score and masks per class or group, counted by reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import supervision as sv
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import ValidationError

from detectors import Detector
from edge.config import ApiConfig, CameraConfig, EdgeConfigError, ObjectFilter
from edge.filters import FilterError, ObjectFilters
from edge.health import EdgeCollector
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline
from edge.publisher import Publisher
from edge.rules.geometry import Anchor, Zone, ZoneConfig, anchor_points
from edge.supervisor import Supervisor
from ingest import VideoSource, VideoSourceConfig
from tests.support.models import VTEST, default_model

CLASSES = ["person", "car", "kite"]
GROUPS = ["", "vehicle", ""]
THRESHOLDS = np.asarray([0.4, 0.3, 0.25], dtype=np.float32)


def found(*items: tuple[str, float, tuple[float, float, float, float]]) -> sv.Detections:
    """Detections from (class name, score, box)."""
    return sv.Detections(
        xyxy=np.asarray([box for *_, box in items], dtype=np.float32),
        confidence=np.asarray([score for _, score, _ in items], dtype=np.float32),
        class_id=np.asarray([CLASSES.index(name) for name, *_ in items]),
        data={"class_name": np.asarray([name for name, *_ in items])},
    )


def filters(**config: dict[str, object]) -> ObjectFilters:
    parsed = {name: ObjectFilter.model_validate(entry) for name, entry in config.items()}
    return ObjectFilters(parsed, classes=CLASSES, groups=GROUPS, thresholds=THRESHOLDS)


def names(detections: sv.Detections) -> list[str]:
    return [str(n) for n in detections.data["class_name"]]


Box = tuple[float, float, float, float]
PERSON: Box = (100.0, 100.0, 130.0, 190.0)  # 30 x 90: area 2700, ratio 0.33
SMALL: Box = (100.0, 100.0, 110.0, 120.0)  # 10 x 20: area 200
WIDE: Box = (100.0, 100.0, 200.0, 150.0)  # 100 x 50: ratio 2


@pytest.mark.parametrize(
    ("config", "box", "reason"),
    [
        ({"min_area": 500}, SMALL, "min_area"),
        ({"max_area": 1000}, PERSON, "max_area"),
        ({"max_ratio": 1.0}, WIDE, "max_ratio"),
        ({"min_ratio": 0.5}, PERSON, "min_ratio"),
        ({"masks": [[[90, 180], [140, 180], [140, 200], [90, 200]]]}, PERSON, "mask"),  # covers its feet
    ],
)
def test_each_filter_drops_and_counts(config: dict[str, object], box: Box, reason: str) -> None:
    person = filters(person=config)
    kept = person.apply(found(("person", 0.9, box), ("kite", 0.9, box)))  # kite: no filter
    assert names(kept) == ["kite"]
    assert person.filtered == {("person", reason): 1}


def test_a_mask_is_tested_with_the_bottom_centre() -> None:
    head_only = filters(person={"masks": [[[90, 90], [140, 90], [140, 120], [90, 120]]]})
    assert names(head_only.apply(found(("person", 0.9, PERSON)))) == ["person"]


def test_group_filters_apply_to_members_and_a_class_entry_wins() -> None:
    vehicle = filters(vehicle={"min_area": 5000})
    assert len(vehicle.apply(found(("car", 0.9, PERSON)))) == 0
    both = filters(vehicle={"min_area": 5000}, car={"min_area": 100})
    assert names(both.apply(found(("car", 0.9, PERSON)))) == ["car"]


def test_min_score_raises_the_threshold_and_keeps_the_box_for_tracking() -> None:
    kite = filters(kite={"min_score": 0.8})
    assert kite.thresholds.tolist() == pytest.approx([0.4, 0.3, 0.8])
    kept = kite.apply(found(("kite", 0.5, PERSON), ("kite", 0.9, WIDE)))
    assert len(kept) == 2  # the 0.5 one is now below the threshold: it may only continue a track
    assert kite.filtered == {("kite", "min_score"): 1}


def test_boxes_below_the_detector_threshold_are_not_counted_as_filtered() -> None:
    person = filters(person={"min_area": 500})
    assert len(person.apply(found(("person", 0.3, SMALL)))) == 0  # a weak box for the tracker, dropped
    assert person.filtered == {}


def test_no_filters_returns_the_same_detections() -> None:
    detections = found(("person", 0.9, PERSON))
    assert filters().apply(detections) is detections


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"min_area": 500, "max_area": 100}, "min_area 500.0 is above max_area 100.0"),
        ({"masks": [[[0, 0], [10, 10]]]}, "at least 3 points"),
        ({"masks": [[[0, 0], [10, 10], [10, 0], [0, 10]]]}, "invalid polygon"),
        ({"min_aera": 5}, "min_aera"),
    ],
)
def test_bad_filters_are_refused_naming_the_problem(config: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        ObjectFilter.model_validate(config)


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"horse": {"min_area": 5}}, r"\['horse'\]: neither classes of the model nor class groups"),
        ({"person": {"min_score": 0.3}}, "min_score 0.3 is not above the detector's threshold 0.4"),
    ],
)
def test_filters_that_cannot_work_are_refused(config: dict[str, dict[str, object]], problem: str) -> None:
    with pytest.raises(FilterError, match=problem):
        filters(**config)


@pytest.mark.slow
def test_a_mask_on_real_footage_drops_people_there_and_metrics_show_it(tmp_path: Path) -> None:
    """vtest.avi 500-560: a couple walks onto the lawn (counted by eye, bench/truth/vtest.yaml); with
    the lawn masked for `person`, no tracked person stands on it, people on the plaza still do."""
    default_model()
    lawn = [[0, 242], [330, 300], [768, 488], [768, 576], [0, 576]]
    camera = CameraConfig.model_validate({
        "id": "cam-square", "url": str(VTEST), "location": {"lon": 118.702, "lat": 32.002}, "detect_fps": 5,
        "detector": {"class_thresholds": {"person": 0.4}, "classes": ["person"]},
        "filters": {"person": {"masks": [lawn]}},
    })  # fmt: skip
    pipeline = CameraPipeline(camera, Detector.from_config(camera.detector), device_id="edge-test",
                              outbox=Outbox(tmp_path / "outbox.db"))  # fmt: skip
    zone = Zone.from_config(ZoneConfig(name="lawn", points=[(x, y) for x, y in lawn]))
    on_plaza = 0
    with VideoSource(VideoSourceConfig(id=camera.id, url=camera.url, detect_fps=5)) as source:
        for frame in source.frames():
            if frame.index > 560:
                break
            pipeline.process(frame)
            people = anchor_points(pipeline.tracked, Anchor.BOTTOM_CENTER)
            if frame.index >= 500:
                assert not zone.contains(people).any(), f"a person on the masked lawn at frame {frame.index}"
                on_plaza += len(people)
    assert on_plaza > 50  # 4 or 5 people on the plaza meanwhile
    masked = pipeline.filters.filtered[("person", "mask")]
    assert masked > 20
    outbox = Outbox(tmp_path / "metrics.db")
    publisher = Publisher(outbox, ApiConfig(url="http://127.0.0.1:9", token="a-device-token"))
    source = VideoSource(VideoSourceConfig(id=camera.id, url=camera.url))
    collector = EdgeCollector(
        {camera.id: source}, {camera.id: pipeline}, outbox, publisher, supervisor=Supervisor()
    )
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    line = 'gridwatch_edge_objects_filtered_total{camera="cam-square",class="person",reason="mask"}'
    assert f"{line} {float(masked)}" in text


@pytest.mark.slow
def test_a_camera_filtering_a_class_the_model_lacks_is_refused_naming_it(tmp_path: Path) -> None:
    default_model()
    camera = CameraConfig.model_validate({
        "id": "cam-1", "url": str(VTEST), "location": {"lon": 118.702, "lat": 32.002},
        "filters": {"unicorn": {"min_area": 100}},
    })  # fmt: skip
    with pytest.raises(EdgeConfigError, match=r"camera cam-1: filters for \['unicorn'\]"):
        CameraPipeline(camera, Detector.from_config(camera.detector), device_id="edge-test",
                       outbox=Outbox(tmp_path / "outbox.db"))  # fmt: skip
