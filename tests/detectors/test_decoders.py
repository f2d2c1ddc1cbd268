"""Each decoder on a tiny ONNX graph whose correct output is known, through the real Detector."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto

from detectors import Detector, DetectorConfig, ModelLoadError
from models.errors import ManifestError
from tests.support.models import constant_model, file_manifest

FRAME = np.zeros((96, 128, 3), np.uint8)  # 128 wide, 96 high → letterbox into 64x64: scale 0.5, pad_y 8


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def darknet_head(col: int = 1) -> np.ndarray:
    """2x2 grid, anchors (10,14) and (20,30), 2 classes; one confident box at row 1, `col`, anchor 0."""
    raw = np.full((1, 2 * 7, 2, 2), -12.0, np.float32)
    raw[0, 0:4, 1, col] = [0.0, 0.0, 0.0, 0.0]  # centre of the cell, anchor size
    raw[0, 4, 1, col] = logit(0.9)  # objectness
    raw[0, 5 + 1, 1, col] = 12.0  # class 1 ("car")
    return raw


def test_darknet_decoder_places_box_from_grid_and_anchor(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", {"head0": darknet_head()}, input_shape=[1, 3, 64, 64])
    entry = file_manifest(
        path, family="darknet_yolo", darknet={"anchors": [[10, 14], [20, 30]], "heads": [{"mask": [0, 1]}]}
    )
    found = Detector(entry, DetectorConfig()).detect(FRAME)
    # input box: centre (48, 48), size 10x14 → [43, 41, 53, 55]; to frame: x/0.5, (y-8)/0.5
    np.testing.assert_allclose(found.xyxy, [[86, 66, 106, 94]], atol=1e-3)
    assert list(found.data["class_name"]) == ["car"]
    assert list(found.data["group"]) == ["vehicle"]
    assert found.confidence is not None
    assert found.confidence[0] == pytest.approx(0.9, abs=1e-4)


def test_darknet_decoder_applies_scale_x_y(tmp_path: Path) -> None:
    raw = darknet_head(col=0)
    raw[0, 0, 1, 0] = 12.0  # sigmoid ≈ 1 → with scale 2.0 the centre moves 1.5 cells, not 1
    path = constant_model(tmp_path / "m.onnx", {"head0": raw}, input_shape=[1, 3, 64, 64])
    darknet = {"anchors": [[10, 14], [20, 30]], "heads": [{"mask": [0, 1]}], "scale_x_y": 2.0}
    found = Detector(file_manifest(path, family="darknet_yolo", darknet=darknet), DetectorConfig()).detect(
        FRAME
    )
    centre_in_input = (0 + 1.5) / 2 * 64  # (col + sig*2 - 0.5) / grid * width
    assert (found.xyxy[0, 0] + found.xyxy[0, 2]) / 2 == pytest.approx(centre_in_input / 0.5, abs=0.01)


def yolov5_rows() -> np.ndarray:
    return np.array(
        [
            [
                [32, 32, 20, 20, 0.9, 0.1, 0.8],  # car 0.72
                [33, 32, 20, 20, 0.8, 0.1, 0.8],  # car 0.64, overlaps the first → suppressed
                [32, 32, 20, 20, 0.9, 0.7, 0.1],  # person 0.63, same box, other class → kept
                [10, 10, 4, 4, 0.1, 0.9, 0.1],  # objectness too low
            ]
        ],
        np.float32,
    )


def test_yolov5_decoder_with_class_aware_nms(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", {"output0": yolov5_rows()}, input_shape=[1, 3, 64, 64])
    found = Detector(file_manifest(path, family="yolov5"), DetectorConfig()).detect(FRAME)
    assert list(found.data["class_name"]) == ["car", "person"]
    assert found.confidence is not None
    np.testing.assert_allclose(found.confidence, [0.72, 0.63], atol=1e-5)
    np.testing.assert_allclose(found.xyxy[0], [44, 28, 84, 68], atol=1e-3)  # [22,22,42,42] → frame


def test_yolov8_decoder_reads_columns(tmp_path: Path) -> None:
    columns = np.array([[[32, 8], [32, 8], [20, 4], [20, 4], [0.2, 0.05], [0.85, 0.1]]], np.float32)
    path = constant_model(tmp_path / "m.onnx", {"output0": columns}, input_shape=[1, 3, 64, 64])
    found = Detector(file_manifest(path, family="yolov8"), DetectorConfig()).detect(FRAME)
    assert list(found.data["class_name"]) == ["car"]
    np.testing.assert_allclose(found.xyxy, [[44, 28, 84, 68]], atol=1e-3)


def ssd_outputs() -> dict[str, np.ndarray]:
    return {
        "detection_boxes": np.array([[[0.25, 0.5, 0.75, 1.0], [0, 0, 0.5, 0.5], [0, 0, 1, 1]]], np.float32),
        "detection_scores": np.array([[0.9, 0.2, 0.99]], np.float32),
        "detection_classes": np.array([[1, 2, 1]], np.float32),  # 1-based: person, car, person
        "num_detections": np.array([2], np.float32),  # the third row is padding and must be ignored
    }


def test_ssd_decoder_reads_normalised_boxes_and_num_detections(tmp_path: Path) -> None:
    path = constant_model(
        tmp_path / "m.onnx", ssd_outputs(), input_shape=[1, 64, 64, 3], input_dtype=TensorProto.UINT8
    )
    entry = file_manifest(
        path,
        family="ssd_tfod",
        input={"width": 64, "height": 64, "letterbox": False, "dtype": "uint8", "layout": "nhwc"},
    )
    found = Detector(entry, DetectorConfig(score_threshold=0.1)).detect(FRAME)
    assert list(found.data["class_name"]) == ["person", "car"]
    np.testing.assert_allclose(found.xyxy, [[64, 24, 128, 72], [0, 0, 64, 48]], atol=1e-3)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (DetectorConfig(), ["car", "person"]),
        (DetectorConfig(class_thresholds={"car": 0.8}), ["person"]),
        (DetectorConfig(class_thresholds={"vehicle": 0.8}), ["person"]),
        (DetectorConfig(classes=["vehicle"]), ["car"]),
        (DetectorConfig(classes=["person"]), ["person"]),
        (DetectorConfig(score_threshold=0.7), ["car"]),
    ],
)
def test_thresholds_and_class_filters(tmp_path: Path, config: DetectorConfig, expected: list[str]) -> None:
    path = constant_model(tmp_path / "m.onnx", {"output0": yolov5_rows()}, input_shape=[1, 3, 64, 64])
    found = Detector(file_manifest(path, family="yolov5"), config).detect(FRAME)
    assert list(found.data["class_name"]) == expected


def test_unknown_class_in_filter_is_refused(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", {"output0": yolov5_rows()}, input_shape=[1, 3, 64, 64])
    with pytest.raises(ModelLoadError, match="unicorn"):
        Detector(file_manifest(path, family="yolov5"), DetectorConfig(classes=["unicorn"]))


@pytest.mark.parametrize(
    ("family", "outputs", "extra", "problem"),
    [
        ("yolov8", {"output0": np.zeros((1, 10, 5))}, {}, "10 channels; the classes need 6"),
        ("yolov5", {"output0": np.zeros((1, 5, 9))}, {}, "9 values per row; the classes need 7"),
        ("yolov5", {"output0": np.zeros((1, 7))}, {}, "expected \\[B, N, 5\\+C\\]"),
        ("ssd_tfod", {"detection_boxes": np.zeros((1, 3, 4))}, {}, "missing outputs"),
        (
            "darknet_yolo",
            {"head0": np.zeros((1, 14, 2, 2)), "head1": np.zeros((1, 14, 2, 2))},
            {"darknet": {"anchors": [[10, 14], [20, 30]], "heads": [{"mask": [0, 1]}]}},
            "2 outputs for 1 heads",
        ),
        (
            "darknet_yolo",
            {"head0": np.zeros((1, 21, 2, 2))},
            {"darknet": {"anchors": [[10, 14], [20, 30]], "heads": [{"mask": [0, 1]}]}},
            "21 channels",
        ),
    ],
)
def test_outputs_that_do_not_fit_the_family_are_refused(
    tmp_path: Path, family: str, outputs: dict[str, np.ndarray], extra: dict[str, object], problem: str
) -> None:
    path = constant_model(tmp_path / "m.onnx", outputs, input_shape=[1, 3, 64, 64])
    with pytest.raises(ModelLoadError, match=problem):
        Detector(file_manifest(path, family=family, **extra), DetectorConfig())


def test_input_size_that_disagrees_with_manifest_is_refused(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", {"output0": yolov5_rows()}, input_shape=[1, 3, 32, 32])
    with pytest.raises(ModelLoadError, match=r"input images has shape \[1, 3, 32, 32\]"):
        Detector(file_manifest(path, family="yolov5"), DetectorConfig())


def test_missing_onnx_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"nothing\.onnx does not exist"):
        Detector(file_manifest(tmp_path / "nothing.onnx", family="yolov5"), DetectorConfig())


def test_user_model_whose_file_does_not_match_its_sha256_is_refused(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", {"output0": yolov5_rows()}, input_shape=[1, 3, 64, 64])
    entry = file_manifest(
        path, family="yolov5", source={"type": "file", "path": str(path), "sha256": "0" * 64}
    )
    with pytest.raises(ManifestError, match=r"has sha256 [0-9a-f]{64}, the manifest .* says 0000"):
        Detector(entry, DetectorConfig())
