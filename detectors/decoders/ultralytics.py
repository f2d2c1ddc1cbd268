"""Ultralytics ONNX exports: YOLOv5 `[B, N, 5+C]` and YOLOv8/YOLO11 `[B, 4+C, N]`."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from detectors.decoders.base import Candidates, OutputInfo, best_class, cxcywh_to_xyxy, require, static_dim


def check_rank3(outputs: list[OutputInfo], family: str, *, axis: int, expected: int, layout: str) -> None:
    """The first output is rank 3 with `expected` entries along `axis` (when that size is fixed)."""
    require(len(outputs) >= 1, family, "the model has no outputs")
    name, shape = outputs[0].name, outputs[0].shape
    require(len(shape) == 3, family, f"output {name} has shape {shape}, expected {layout}")
    size = static_dim(shape, axis)
    what = "values per row" if axis == 2 else "channels"
    require(size in (None, expected), family, f"output {name} has {size} {what}; the classes need {expected}")


class Yolov5Decoder:
    """Rows of (cx, cy, w, h, objectness, class probabilities), boxes in input pixels."""

    family = "yolov5"

    def __init__(self, *, num_classes: int) -> None:
        self.num_classes = num_classes

    def check(self, outputs: list[OutputInfo]) -> None:
        """The first output is rank 3 with 5+C values per row."""
        check_rank3(outputs, self.family, axis=2, expected=5 + self.num_classes, layout="[B, N, 5+C]")

    def decode(
        self, outputs: list[NDArray[np.float32]], index: int, min_score: float, input_size: tuple[int, int]
    ) -> Candidates:
        """Objectness × best class probability."""
        rows = outputs[0][index]
        rows = rows[rows[:, 4] >= min_score]
        class_id, class_prob = best_class(rows[:, 5:])
        confidence = rows[:, 4] * class_prob
        return Candidates(cxcywh_to_xyxy(rows[:, :4]), confidence.astype(np.float32), class_id)


class Yolov8Decoder:
    """Columns of (cx, cy, w, h, class scores) — no objectness; boxes in input pixels."""

    family = "yolov8"

    def __init__(self, *, num_classes: int) -> None:
        self.num_classes = num_classes

    def check(self, outputs: list[OutputInfo]) -> None:
        """The first output is rank 3 with 4+C channels."""
        check_rank3(outputs, self.family, axis=1, expected=4 + self.num_classes, layout="[B, 4+C, N]")

    def decode(
        self, outputs: list[NDArray[np.float32]], index: int, min_score: float, input_size: tuple[int, int]
    ) -> Candidates:
        """Best class score per column."""
        rows = outputs[0][index].T
        class_id, confidence = best_class(rows[:, 4:])
        keep = confidence >= min_score
        return Candidates(cxcywh_to_xyxy(rows[keep, :4]), confidence[keep], class_id[keep])
