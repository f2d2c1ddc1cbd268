"""SSD-style graphs with NMS inside (TensorFlow Object Detection API outputs)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from detectors.decoders.base import Candidates, OutputInfo, require

FAMILY = "ssd_tfod"
ROLES = ("detection_boxes", "detection_scores", "detection_classes")


class SsdDecoder:
    """Reads `detection_boxes` (ymin, xmin, ymax, xmax, 0..1), `detection_scores`,
    `detection_classes` (1-based ids into the manifest's classes) and optional `num_detections`.
    """

    def __init__(self, *, num_classes: int) -> None:
        self.num_classes = num_classes
        self.positions: dict[str, int] = {}

    def check(self, outputs: list[OutputInfo]) -> None:
        """The three detection outputs are present (matched by name) with ranks 3, 2, 2."""
        names = [out.name for out in outputs]
        for role in (*ROLES, "num_detections"):
            match = [i for i, name in enumerate(names) if name.split(":")[0].endswith(role)]
            if match:
                self.positions[role] = match[0]
        missing = [role for role in ROLES if role not in self.positions]
        require(not missing, FAMILY, f"missing outputs {missing}; the model has {names}")
        ranks = {role: len(outputs[self.positions[role]].shape) for role in ROLES}
        require(
            ranks == {"detection_boxes": 3, "detection_scores": 2, "detection_classes": 2}, FAMILY,
            f"expected ranks boxes 3, scores 2, classes 2; got {ranks}",
        )  # fmt: skip

    def decode(
        self, outputs: list[NDArray[np.float32]], index: int, min_score: float, input_size: tuple[int, int]
    ) -> Candidates:
        """Scale normalised boxes to input pixels; drop padding rows past num_detections."""
        boxes = outputs[self.positions["detection_boxes"]][index]
        scores = outputs[self.positions["detection_scores"]][index].astype(np.float32)
        classes = outputs[self.positions["detection_classes"]][index]
        if "num_detections" in self.positions:
            count = int(np.asarray(outputs[self.positions["num_detections"]]).reshape(-1)[index])
            boxes, scores, classes = boxes[:count], scores[:count], classes[:count]
        class_id = np.rint(classes).astype(np.int64) - 1
        keep = (scores >= min_score) & (class_id >= 0) & (class_id < self.num_classes)
        ymin, xmin, ymax, xmax = (boxes[keep, k] for k in range(4))
        xyxy = np.stack(
            [xmin * input_size[0], ymin * input_size[1], xmax * input_size[0], ymax * input_size[1]], axis=1
        )
        return Candidates(xyxy.astype(np.float32), scores[keep], class_id[keep])
