"""Darknet YOLO heads (v3, v3-tiny, v4-tiny): raw `[B, A*(5+C), h, w]` maps per head."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from detectors.decoders.base import Candidates, OutputInfo, best_class, require, static_dim
from models.manifest import DarknetSpec

FAMILY = "darknet_yolo"


def _sigmoid(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


class DarknetDecoder:
    """Sigmoid, grid offsets and anchors, as Darknet's `[yolo]` layer does.

    Example:
        >>> spec = DarknetSpec(anchors=[(10, 14)], heads=[{"mask": [0]}])
        >>> DarknetDecoder(spec, num_classes=2).check(
        ...     [OutputInfo("head0", [1, 7, 1, 1])])
    """

    def __init__(self, spec: DarknetSpec, *, num_classes: int) -> None:
        self.spec = spec
        self.num_classes = num_classes

    def check(self, outputs: list[OutputInfo]) -> None:
        """One rank-4 output per head, with len(mask)*(5+C) channels."""
        heads = self.spec.heads
        require(len(outputs) == len(heads), FAMILY, f"{len(outputs)} outputs for {len(heads)} heads")
        for head, out in zip(heads, outputs, strict=True):
            require(len(out.shape) == 4, FAMILY, f"output {out.name} has shape {out.shape}, expected rank 4")
            channels, expected = static_dim(out.shape, 1), len(head.mask) * (5 + self.num_classes)
            require(
                channels in (None, expected), FAMILY,
                f"output {out.name} has {channels} channels; mask {head.mask} and {self.num_classes} "
                f"classes need {expected}",
            )  # fmt: skip

    def decode(
        self, outputs: list[NDArray[np.float32]], index: int, min_score: float, input_size: tuple[int, int]
    ) -> Candidates:
        """Decode every head; objectness filters first so class scores are computed for few cells."""
        heads = zip(outputs, self.spec.heads, strict=True)
        parts = [self._head(out[index], head.mask, min_score, input_size) for out, head in heads]
        return Candidates(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.confidence for p in parts]),
            np.concatenate([p.class_id for p in parts]),
        )

    def _head(
        self, raw: NDArray[np.float32], mask: list[int], min_score: float, input_size: tuple[int, int]
    ) -> Candidates:
        n_anchors, stride = len(mask), 5 + self.num_classes
        _, grid_h, grid_w = raw.shape
        cells = raw.reshape(n_anchors, stride, grid_h * grid_w)
        objectness = _sigmoid(cells[:, 4, :])
        anchor_idx, cell_idx = np.nonzero(objectness >= min_score)
        if anchor_idx.size == 0:
            return Candidates.empty()
        picked = cells[anchor_idx, :, cell_idx]  # (K, 5+C)
        class_id, class_prob = best_class(_sigmoid(picked[:, 5:]))
        confidence = objectness[anchor_idx, cell_idx] * class_prob
        scale = self.spec.scale_x_y
        offset = _sigmoid(picked[:, 0:2]) * scale - (scale - 1) / 2
        cx = (cell_idx % grid_w + offset[:, 0]) / grid_w * input_size[0]
        cy = (cell_idx // grid_w + offset[:, 1]) / grid_h * input_size[1]
        anchors = np.asarray(self.spec.anchors, np.float32)[np.asarray(mask)[anchor_idx]]
        wh = np.exp(np.clip(picked[:, 2:4], -20, 20)) * anchors
        xyxy = np.stack([cx - wh[:, 0] / 2, cy - wh[:, 1] / 2, cx + wh[:, 0] / 2, cy + wh[:, 1] / 2], axis=1)
        return Candidates(xyxy.astype(np.float32), confidence.astype(np.float32), class_id)
