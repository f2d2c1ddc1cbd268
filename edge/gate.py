"""A cheap motion gate: does this frame need the detector at all?

Frames are shrunk to a small grey image and compared with the frame at the *last detector run*
(not the previous frame), so slow changes add up until they count. A frame passes when enough of
the picture changed, when the last run found objects that might be moving (`recheck_s`), or when
the detector has not run for `max_skip_s`. Skipped frames reuse the last detections, so trackers
and timed rules keep going.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.config import GateConfig


class MotionGate:
    """Frame differencing on a small grey image against the frame of the last detector run."""

    def __init__(self, config: GateConfig) -> None:
        self.config = config
        self._reference: NDArray[np.uint8] | None = None
        self._reference_t = 0.0

    def check(
        self, image: NDArray[np.uint8], t: float, still_boxes: NDArray[np.float32] | None = None
    ) -> bool:
        """True when the frame at stream time `t` needs the detector; a passing frame becomes the new
        reference. It passes on enough change, or when the detector has not run for `max_skip_s`.

        `still_boxes` (frame pixels) are objects that did not move between the last two detector
        runs: with `ignore_inside_boxes`, change inside them (a person shifting their weight) does
        not wake the detector; an object that walks off its box changes pixels outside it and does.
        """
        if not self.config.enabled:
            return True
        small = self._shrink(image)
        if self._reference is None or self._reference.shape != small.shape:
            return self._pass(small, t)
        moved = cv2.absdiff(small, self._reference) > self.config.pixel_threshold
        if self.config.ignore_inside_boxes and still_boxes is not None and len(still_boxes):
            self._mask_boxes(moved, still_boxes, image.shape[1])
        changed = float(np.count_nonzero(moved)) / moved.size
        if changed >= self.config.min_changed or t - self._reference_t >= self.config.max_skip_s:
            return self._pass(small, t)
        return False

    def _mask_boxes(self, moved: NDArray[np.bool_], boxes: NDArray[np.float32], width: int) -> None:
        scale = self.config.width / width
        for x1, y1, x2, y2 in np.round(boxes * scale).astype(int):
            moved[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)] = False

    def reset(self) -> None:
        """Forget the reference (new source or reconnect)."""
        self._reference = None

    def _pass(self, small: NDArray[np.uint8], t: float) -> bool:
        self._reference, self._reference_t = small, t
        return True

    def _shrink(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        height, width = image.shape[:2]
        size = (self.config.width, max(1, round(height * self.config.width / width)))
        # INTER_LINEAR: 0.04 ms against INTER_AREA's 1.5 ms on 768x432; the blur below smooths the aliasing
        grey = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2GRAY)
        return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.uint8)
