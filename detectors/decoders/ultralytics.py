"""Ultralytics ONNX exports: YOLOv5 `[B, N, 5+C]` and YOLOv8/YOLO11 `[B, 4+C, N]`."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from detectors.decoders.base import Candidates, OutputInfo, best_class, cxcywh_to_xyxy, require, static_dim


class Yolov5Decoder:
    """Rows of (cx, cy, w, h, objectness, class probabilities), boxes in input pixels."""

    family = "yolov5"

    def __init__(self, *, num_classes: int) -> None:
        self.num_classes = num_classes

    def check(self, outputs: list[OutputInfo]) -> None:
        """The first output is rank 3 with 5+C values per row."""
        require(len(outputs) >= 1, self.family, "the model has no outputs")
        shape = outputs[0].shape
        require(
            len(shape) == 3, self.family, f"output {outputs[0].name} has shape {shape}, expected [B, N, 5+C]"
        )
        last = static_dim(shape, 2)
        require(
            last in (None, 5 + self.num_classes), self.family,
            f"output {outputs[0].name} has {last} values per row; {self.num_classes} classes need "
            f"{5 + self.num_classes}",
        )  # fmt: skip

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
        require(len(outputs) >= 1, self.family, "the model has no outputs")
        shape = outputs[0].shape
        require(
            len(shape) == 3, self.family, f"output {outputs[0].name} has shape {shape}, expected [B, 4+C, N]"
        )
        channels = static_dim(shape, 1)
        require(
            channels in (None, 4 + self.num_classes), self.family,
            f"output {outputs[0].name} has {channels} channels; {self.num_classes} classes need "
            f"{4 + self.num_classes}",
        )  # fmt: skip

    def decode(
        self, outputs: list[NDArray[np.float32]], index: int, min_score: float, input_size: tuple[int, int]
    ) -> Candidates:
        """Best class score per column."""
        rows = outputs[0][index].T
        class_id, confidence = best_class(rows[:, 4:])
        keep = confidence >= min_score
        return Candidates(cxcywh_to_xyxy(rows[keep, :4]), confidence[keep], class_id[keep])
