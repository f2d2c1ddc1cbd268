"""Detection in tiles: boxes back in frame pixels, cut-off boxes dropped, one batched run, NMS across."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import supervision as sv

from detectors import Detector, DetectorConfig
from detectors.tiles import Tile, merge, to_frame
from models.registry import ModelEntry
from tests.support.models import VTEST, constant_model, default_model, file_manifest, only, read_frame


def boxes(*rows: tuple[float, float, float, float, float, int]) -> sv.Detections:
    """Detections from (x1, y1, x2, y2, score, class id) rows."""
    array = np.asarray(rows, dtype=np.float32).reshape(-1, 6)
    return sv.Detections(
        xyxy=array[:, :4], confidence=array[:, 4], class_id=array[:, 5].astype(int),
        data={"class_name": np.asarray([f"c{int(c)}" for c in array[:, 5]])},
    )  # fmt: skip


def test_tile_boxes_move_into_frame_pixels() -> None:
    moved = to_frame(boxes((10, 20, 30, 60, 0.9, 0)), Tile(100, 50, 300, 250), (640, 480))
    np.testing.assert_allclose(moved.xyxy, [[110, 70, 130, 110]])


@pytest.mark.parametrize(
    ("box", "kept"),
    [
        ((0, 50, 20, 90), False),  # cut by the tile's left side, which is inside the frame
        ((180, 50, 200, 90), False),  # cut by its right side
        ((50, 50, 80, 90), True),  # wholly inside
    ],
)
def test_boxes_cut_by_an_inner_side_are_dropped(box: tuple[float, ...], kept: bool) -> None:
    x1, y1, x2, y2 = box
    moved = to_frame(boxes((x1, y1, x2, y2, 0.9, 0)), Tile(100, 0, 300, 200), (640, 480))
    assert (len(moved) == 1) is kept


def test_a_tile_side_on_the_frame_side_does_not_cut() -> None:
    moved = to_frame(boxes((0, 0, 20, 40, 0.9, 0)), Tile(0, 0, 200, 200), (640, 480))
    assert len(moved) == 1


def test_merge_keeps_the_best_of_overlapping_boxes_per_class() -> None:
    whole = boxes((100, 100, 140, 200, 0.5, 0), (300, 100, 340, 200, 0.8, 1))
    tile = boxes((101, 101, 141, 201, 0.9, 0), (102, 100, 140, 200, 0.7, 1))  # same person, better seen
    merged = merge([whole, tile], iou=0.45, limit=100)
    assert merged.confidence is not None
    assert sorted(merged.confidence.tolist()) == pytest.approx([0.7, 0.8, 0.9])


class CountingSession:
    """An onnxruntime session that counts its runs and the batch sizes."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.batches: list[int] = []

    def run(self, names: Any, feeds: dict[str, np.ndarray[Any, Any]]) -> Any:
        self.batches.append(next(iter(feeds.values())).shape[0])
        return self.session.run(names, feeds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


@pytest.mark.slow
def test_all_tiles_go_through_one_batched_run_and_find_the_distant_walker() -> None:
    """vtest.avi frame 100: a man 30 px tall on the far footpath, missed in the whole 768x576 frame."""
    detector = Detector(default_model(), DetectorConfig(class_thresholds={"person": 0.4}, classes=["person"]))
    counting = CountingSession(detector.session)
    detector.session = counting
    frame = read_frame(VTEST, 100)
    far = Tile(100, 0, 516, 416)  # the footpath's end at native resolution (416 px: the model's size)
    whole, *parts = detector.detect_tiles(frame, [far, Tile(352, 160, 768, 576)])
    assert counting.batches == [1, 2]  # the whole frame, then both tiles in one run
    assert len(parts) == 2
    walker = (200.0, 40.0, 260.0, 100.0)  # around the man's box, frame pixels

    def near_walker(found: sv.Detections) -> int:
        centres = (found.xyxy[:, :2] + found.xyxy[:, 2:]) / 2
        inside = (centres[:, 0] > walker[0]) & (centres[:, 0] < walker[2])
        return int((inside & (centres[:, 1] > walker[1]) & (centres[:, 1] < walker[3])).sum())

    assert near_walker(only(whole, "person")) == 0
    assert near_walker(only(parts[0], "person")) == 1


def test_input_size_changes_the_model_input(tmp_path: Path) -> None:
    head = np.zeros((1, 7, 4, 4), np.float32)
    path = constant_model(tmp_path / "m.onnx", {"head0": head}, input_shape=["b", 3, "h", "w"])
    entry = darknet_entry(path)
    assert Detector(entry, DetectorConfig(input_size=128)).input.width == 128
    assert Detector(entry, DetectorConfig()).input.width == 64


@pytest.mark.parametrize(
    ("shape", "size", "problem"),
    [
        (["b", 3, "h", "w"], 100, "not a multiple of test-model's stride 32"),
        ([1, 3, 64, 64], 128, "needs a model with dynamic height/width"),
    ],
)
def test_an_input_size_the_model_cannot_take_is_refused(
    tmp_path: Path, shape: list[int | str], size: int, problem: str
) -> None:
    path = constant_model(
        tmp_path / "m.onnx", {"head0": np.zeros((1, 7, 2, 2), np.float32)}, input_shape=shape
    )
    with pytest.raises(Exception, match=problem):
        Detector(darknet_entry(path), DetectorConfig(input_size=size))


def darknet_entry(path: Path) -> ModelEntry:
    return file_manifest(
        path, family="darknet_yolo", darknet={"anchors": [[10, 14]], "heads": [{"mask": [0]}]},
    )  # fmt: skip
