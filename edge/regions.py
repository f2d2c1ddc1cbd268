"""Motion regions: where things move, as a few square crops for the detector to look at up close.

The frame is shrunk to a small grey image and compared with a running-average background; changed
pixels are grown into blobs, the blobs' boxes (in frame pixels) are grouped into at most
`max_regions` squares of at least `min_size` pixels (default: the model's input size, so a crop is
seen at native resolution or a little shrunk, never blown up), kept inside the frame. The detector
runs on the whole frame and on these crops (`Detector.detect_tiles`); a person 25 px tall at the far
end of a square is then seen at twice the size or more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import supervision as sv
from numpy.typing import NDArray

from detectors.tiles import Tile
from edge.config import RegionsConfig

Box = tuple[int, int, int, int]
COVERED = 0.8
"""A square this much inside an earlier one adds nothing: it is left out."""


@dataclass(frozen=True)
class Motion:
    """What moved in one frame: the blobs' boxes and the crops that hold them (frame pixels)."""

    tiles: list[Tile] = field(default_factory=list)
    blobs: list[Box] = field(default_factory=list)

    def moving_only(self, found: sv.Detections) -> sv.Detections:
        """The boxes of a crop whose centre lies on something that moved.

        A crop is there for small moving things: a still object is the whole-frame pass's to find, and a
        close-up of it invites labels like 'scissors' for the foot of a table.
        """
        if len(found) == 0:
            return found
        cx, cy = (found.xyxy[:, 0] + found.xyxy[:, 2]) / 2, (found.xyxy[:, 1] + found.xyxy[:, 3]) / 2
        moving = np.zeros(len(found), dtype=bool)
        for x1, y1, x2, y2 in self.blobs:
            moving |= (cx >= x1) & (cx <= x2) & (cy >= y1) & (cy <= y2)
        kept = found[moving]
        assert isinstance(kept, sv.Detections)
        return kept


class MotionRegions:
    """Finds the crops of one camera's frames where something moves."""

    def __init__(self, config: RegionsConfig, *, model_size: int) -> None:
        self.config = config
        self.size = config.min_size or model_size
        self._background: NDArray[np.float32] | None = None

    def find(self, image: NDArray[np.uint8]) -> Motion:
        """Update the background with this frame; what moved since, and the crops around it."""
        grey = self._shrink(image)
        if self._background is None or self._background.shape != grey.shape:
            self._background = grey.astype(np.float32)
            return Motion()
        moved = cv2.absdiff(grey, cv2.convertScaleAbs(self._background)) > self.config.pixel_threshold
        cv2.accumulateWeighted(grey, self._background, self.config.background_alpha)
        blobs = self._blobs(moved.astype(np.uint8), image.shape[1] / grey.shape[1])
        return Motion(self._regions(blobs, (image.shape[1], image.shape[0])), blobs)

    def reset(self) -> None:
        """Forget the background (new stream)."""
        self._background = None

    def _shrink(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        height, width = image.shape[:2]
        size = (self.config.motion_width, max(1, round(height * self.config.motion_width / width)))
        grey = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.uint8)

    def _blobs(self, moved: NDArray[np.uint8], scale: float) -> list[Box]:
        """Boxes (frame pixels) of the moving blobs, largest first."""
        grown = cv2.dilate(moved, np.ones((3, 3), np.uint8), iterations=2)
        contours, _ = cv2.findContours(grown, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        least = self.config.min_blob * moved.size
        rects = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) >= least]
        rects.sort(key=lambda r: -r[2] * r[3])
        return [
            (int(x * scale), int(y * scale), int((x + w) * scale + 0.5), int((y + h) * scale + 0.5))
            for x, y, w, h in rects
        ]

    def _regions(self, blobs: list[Box], frame_size: tuple[int, int]) -> list[Tile]:
        """Blobs grouped into at most `max_regions` squares of side ≥ `size`, inside the frame."""
        groups: list[Box] = []
        for blob in blobs:
            for k, group in enumerate(groups):
                union = _union(group, blob)
                if max(union[2] - union[0], union[3] - union[1]) <= self.size:
                    groups[k] = union
                    break
            else:
                if len(groups) < self.config.max_regions:
                    groups.append(blob)
        squares: list[Tile] = []
        for group in groups:
            square = _square(group, self.size, frame_size)
            if all(_covered(square, earlier) < COVERED for earlier in squares):
                squares.append(square)
        return squares


def _covered(tile: Tile, other: Tile) -> float:
    """The fraction of `tile` that lies inside `other`."""
    w = max(0, min(tile.x2, other.x2) - max(tile.x1, other.x1))
    h = max(0, min(tile.y2, other.y2) - max(tile.y1, other.y1))
    return w * h / max(tile.width * tile.height, 1)


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _square(box: Box, least: int, frame_size: tuple[int, int]) -> Tile:
    """A square around `box` of side max(least, box side), moved (then cut) to fit in the frame."""
    width, height = frame_size
    side = max(least, box[2] - box[0], box[3] - box[1])
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x1 = int(min(max(cx - side / 2, 0), max(width - side, 0)))
    y1 = int(min(max(cy - side / 2, 0), max(height - side, 0)))
    return Tile(x1, y1, min(x1 + side, width), min(y1 + side, height))
