"""Tracking configured from the class thresholds: activation, the high/low split and the lost-track time."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest
import supervision as sv
import trackers

from detectors import Detector, DetectorConfig
from detectors.tracking import ObjectTracker, TrackerConfig
from tests.support.models import VTEST, default_model

PERSON, CAR = 0, 1
THRESHOLDS = np.asarray([0.4, 0.8], dtype=np.float32)  # person 0.4, car 0.8


def boxes(*items: tuple[float, int, tuple[float, float, float, float]]) -> sv.Detections:
    """Detections from (score, class id, box) triples."""
    if not items:
        return sv.Detections.empty()
    return sv.Detections(
        xyxy=np.asarray([box for _, _, box in items], dtype=np.float32),
        confidence=np.asarray([score for score, _, _ in items], dtype=np.float32),
        class_id=np.asarray([cls for _, cls, _ in items], dtype=int),
    )


def ids(found: sv.Detections) -> list[int]:
    assert found.tracker_id is not None
    return [int(k) for k in found.tracker_id]


def tracker(**config: float) -> ObjectTracker:
    return ObjectTracker(TrackerConfig.model_validate(config), thresholds=THRESHOLDS, frame_rate=5.0)


def run(track: ObjectTracker, frames: list[sv.Detections], start: float = 0.0) -> list[sv.Detections]:
    return [track.update(found, start + k * 0.2) for k, found in enumerate(frames)]


BOX = (100.0, 100.0, 140.0, 200.0)


def test_a_detection_at_its_class_threshold_starts_a_track() -> None:
    out = run(tracker(), [boxes((0.45, PERSON, BOX))] * 3)
    assert [ids(o) for o in out] == [[-1], [0], [0]]  # confirmed at the second frame


def test_per_class_thresholds_decide_activation() -> None:
    car_box = (300.0, 100.0, 400.0, 160.0)
    out = run(tracker(), [boxes((0.6, PERSON, BOX), (0.6, CAR, car_box))] * 3)
    last = out[-1]
    assert last.class_id is not None
    assert last.class_id.tolist() == [PERSON]  # a car at 0.6 is below its 0.8: not even returned
    assert ids(last) == [0]


def test_a_low_detection_never_starts_a_track() -> None:
    out = run(tracker(), [boxes((0.3, PERSON, BOX))] * 5)  # 0.3 ≥ 0.5 × 0.4 but < 0.4
    assert all(len(o) == 0 for o in out)


def test_a_low_detection_continues_a_confirmed_track() -> None:
    frames = [boxes((0.9, PERSON, BOX))] * 2 + [boxes((0.3, PERSON, BOX))] * 3
    out = run(tracker(), frames)
    assert [ids(o) for o in out[2:]] == [[0], [0], [0]]
    assert out[-1].confidence is not None
    assert out[-1].confidence[0] == pytest.approx(0.3)  # the original score is kept


def test_low_ratio_one_turns_continuation_off() -> None:
    frames = [boxes((0.9, PERSON, BOX))] * 2 + [boxes((0.3, PERSON, BOX))]
    assert len(run(tracker(low_ratio=1.0), frames)[-1]) == 0


@pytest.mark.parametrize(("gap_s", "same_id"), [(0.8, True), (1.6, False)])
def test_lost_track_time_is_in_seconds(gap_s: float, same_id: bool) -> None:
    track = tracker(lost_track_s=1.0)
    first = run(track, [boxes((0.9, PERSON, BOX))] * 3)
    again = run(track, [boxes((0.9, PERSON, BOX))] * 3, start=0.4 + gap_s)
    assert (ids(again[-1]) == ids(first[-1])) is same_id


def test_rescaled_puts_every_class_threshold_on_the_split() -> None:
    found = boxes((0.4, PERSON, BOX), (0.8, CAR, BOX), (0.2, PERSON, BOX), (1.0, CAR, BOX))
    np.testing.assert_allclose(tracker().rescaled(found), [0.5, 0.5, 0.25, 1.0], atol=1e-6)


def test_time_going_back_starts_over() -> None:
    track = tracker()
    run(track, [boxes((0.9, PERSON, BOX))] * 3, start=10.0)
    again = track.update(boxes((0.9, PERSON, BOX)), 1.0)
    assert ids(again) == [-1]  # a new track: the old ones were forgotten


@pytest.fixture(scope="module")
def vtest_frames() -> list[tuple[float, sv.Detections]]:
    """Frames 0-239 of vtest.avi at 5 fps through the real detector (person ≥ 0.4, low ones kept)."""
    detector = Detector(default_model(), DetectorConfig(class_thresholds={"person": 0.4}, classes=["person"]))
    low_ratio = TrackerConfig().low_ratio
    capture = cv2.VideoCapture(str(VTEST))
    out: list[tuple[float, sv.Detections]] = []
    try:
        for index in range(0, 240):
            ok, image = capture.read()
            assert ok, f"cannot read frame {index} of {VTEST}"
            if index % 2 == 0:  # 5 of its 10 frames per second, as a camera at detect_fps 5
                out.append((index / 10, detector.detect(np.asarray(image, np.uint8), low_ratio=low_ratio)))
    finally:
        capture.release()
    return out


@pytest.mark.slow
def test_every_detection_between_0_4_and_0_7_that_continues_an_object_is_tracked(
    vtest_frames: list[tuple[float, sv.Detections]],
) -> None:
    track = ObjectTracker(TrackerConfig(), thresholds=np.full(80, 0.4, np.float32), frame_rate=5.0)
    checked, untracked = untracked_middle_scores(vtest_frames, track.update)
    assert checked > 50  # the clip really has many of them
    assert untracked == []


@pytest.mark.slow
def test_bytetrack_defaults_leave_many_of_them_untracked(
    vtest_frames: list[tuple[float, sv.Detections]],
) -> None:
    default = trackers.ByteTrackTracker(frame_rate=5.0)  # activation 0.7, high/low split 0.6
    counted = [(t, at_least(found, 0.4)) for t, found in vtest_frames]
    checked, untracked = untracked_middle_scores(counted, lambda found, t: default.update(found))
    assert len(untracked) > 0.1 * checked


def at_least(found: sv.Detections, score: float) -> sv.Detections:
    assert found.confidence is not None
    picked = found[found.confidence >= score]
    assert isinstance(picked, sv.Detections)
    return picked


def untracked_middle_scores(
    frames: list[tuple[float, sv.Detections]], update: Callable[[sv.Detections, float], sv.Detections]
) -> tuple[int, list[tuple[float, list[float]]]]:
    """Detections scored 0.4-0.7 that overlap a detection (≥ 0.4) of the frame before: how many, and
    those (time, box) that the tracker returned without a confirmed track id."""
    checked, untracked, previous = 0, [], sv.Detections.empty()
    for t, found in frames:
        tracked = update(found, t)
        counted = at_least(found, 0.4)
        assert counted.confidence is not None
        for k in np.flatnonzero(counted.confidence < 0.7):
            box = counted.xyxy[k : k + 1]
            if len(previous) == 0 or sv.box_iou_batch(box, previous.xyxy).max() < 0.5:
                continue  # the first sighting of an object: nothing to continue yet
            checked += 1
            same = sv.box_iou_batch(box, tracked.xyxy)[0] > 0.99 if len(tracked) else np.zeros(0, bool)
            ids = tracked.tracker_id[same] if tracked.tracker_id is not None else np.zeros(0, int)
            if not (ids >= 0).any():
                untracked.append((t, [round(float(v), 1) for v in box[0]]))
        previous = counted
    return checked, untracked
