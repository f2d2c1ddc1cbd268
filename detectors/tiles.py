"""Detections in crops (tiles) of a frame: crop, map boxes back, drop cut-off objects, merge by NMS.

A small, distant person is a few pixels tall once the whole frame is shrunk to the model's input;
cropped at native resolution and shrunk less (or not at all), the same person is big enough to see.
These functions are pure, so that whatever runs the model (one camera's detector, or a scheduler that
batches the tiles of several cameras) can use them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import supervision as sv
from numpy.typing import NDArray

from detectors.nms import class_aware_nms

EDGE_PX = 2.0
"""A box this close to a tile's side that is not the frame's side was cut by the tile."""


@dataclass(frozen=True)
class Tile:
    """A rectangle of the frame, in pixels: x1, y1 inclusive, x2, y2 exclusive."""

    x1: int
    y1: int
    x2: int
    y2: int

    def crop(self, frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """The tile's pixels (a view, no copy)."""
        return frame[self.y1 : self.y2, self.x1 : self.x2]

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self.y2 - self.y1


def to_frame(found: sv.Detections, tile: Tile, frame_size: tuple[int, int]) -> sv.Detections:
    """Boxes found in a tile, moved into frame pixels; boxes cut by an inner side of the tile dropped."""
    if len(found) == 0:
        return found
    xyxy = found.xyxy + np.asarray([tile.x1, tile.y1, tile.x1, tile.y1], dtype=np.float32)
    width, height = frame_size
    cut = np.zeros(len(found), dtype=bool)
    for side, inner, coordinate in (
        (tile.x1, tile.x1 > 0, xyxy[:, 0]), (tile.y1, tile.y1 > 0, xyxy[:, 1]),
        (tile.x2, tile.x2 < width, xyxy[:, 2]), (tile.y2, tile.y2 < height, xyxy[:, 3]),
    ):  # fmt: skip
        if inner:
            cut |= np.abs(coordinate - side) <= EDGE_PX
    moved = found[~cut]
    assert isinstance(moved, sv.Detections)
    moved.xyxy = xyxy[~cut]
    return moved


def merge(parts: list[sv.Detections], *, iou: float, limit: int) -> sv.Detections:
    """One set of detections from the full frame and the tiles: class-aware NMS across all of them."""
    merged = sv.Detections.merge([part for part in parts if len(part)])
    if len(merged) == 0 or merged.confidence is None or merged.class_id is None:
        return parts[0] if parts else merged
    xyxy = np.asarray(merged.xyxy, dtype=np.float32)
    scores = np.asarray(merged.confidence, dtype=np.float32)
    order = class_aware_nms(xyxy, scores, np.asarray(merged.class_id, dtype=np.int64), iou=iou)[:limit]
    kept = merged[order]
    assert isinstance(kept, sv.Detections)
    return kept
