"""Letterbox (square and rectangular), stretch, and mapping boxes back to frame pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors import Detector, DetectorConfig, ModelLoadError
from detectors.preprocess import fit, to_tensor
from models.manifest import InputSpec
from tests.support.models import constant_model, file_manifest

FRAME = np.full((432, 768, 3), 200, np.uint8)


@pytest.mark.parametrize(
    ("spec", "shape", "pad"),
    [
        (InputSpec(width=416, height=416), (416, 416), (0.0, 91.0)),
        (InputSpec(width=416, height=416, rect=True), (256, 416), (0.0, 11.0)),
        (InputSpec(width=640, height=640, rect=True, stride=64), (384, 640), (0.0, 12.0)),
        (InputSpec(width=300, height=300, letterbox=False), (300, 300), (0.0, 0.0)),
    ],
)
def test_fit_sizes_and_padding(spec: InputSpec, shape: tuple[int, int], pad: tuple[float, float]) -> None:
    image, placement = fit(FRAME, spec)
    assert image.shape[:2] == shape
    assert (placement.pad_x, placement.pad_y) == pad
    if pad[1] > 0:  # the top rows are padding
        assert image[0, 0].tolist() == [spec.pad_value] * 3


def test_box_round_trip_through_placement() -> None:
    _, placement = fit(FRAME, InputSpec(width=416, height=416, rect=True))
    frame_box = np.array([[100, 50, 300, 400]], np.float32)
    in_input = frame_box * np.float32(placement.scale_x) + np.array(
        [placement.pad_x, placement.pad_y, placement.pad_x, placement.pad_y], np.float32
    )
    np.testing.assert_allclose(placement.to_frame(in_input), frame_box, atol=0.5)


def test_tensor_is_rgb_scaled_nchw() -> None:
    frame = np.zeros((8, 8, 3), np.uint8)
    frame[..., 0] = 255  # blue in BGR
    tensor = to_tensor([frame], InputSpec(width=8, height=8))
    assert tensor.shape == (1, 3, 8, 8)
    assert tensor.dtype == np.float32
    assert tensor[0, 2].max() == pytest.approx(1.0)  # blue lands in the third (RGB) channel
    assert tensor[0, 0].max() == 0.0


def test_rect_needs_a_model_with_dynamic_height_and_width(tmp_path: Path) -> None:
    rows = np.zeros((1, 1, 7), np.float32)
    path = constant_model(tmp_path / "m.onnx", {"output0": rows}, input_shape=[1, 3, 64, 64])
    entry = file_manifest(path, family="yolov5", input={"width": 64, "height": 64, "rect": True})
    with pytest.raises(ModelLoadError, match=r"input\.rect needs dynamic height/width"):
        Detector(entry, DetectorConfig())
