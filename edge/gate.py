"""A cheap motion gate: does this frame need the detector at all?

Frames are shrunk to a small grey image and compared with the frame at the *last detector run*
(not the previous frame), so slow changes add up until they count. A frame passes when enough of
the picture changed, when the last run found objects that might be moving (`recheck_s`), or when
the detector has not run for `max_skip_s`. Skipped frames reuse the last detections, so trackers
and timed rules keep going.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from gridwatch.strict import Strict


class GateConfig(Strict):
    """Per-camera motion gate settings.

    Example:
        >>> GateConfig(enabled=True, pixel_threshold=25, min_changed=0.002)
    """

    enabled: bool = Field(default=True, description="Off: every frame goes to the detector")
    width: int = Field(default=160, ge=32, le=640, description="Width of the grey image compared, pixels")
    pixel_threshold: int = Field(default=25, ge=1, le=255, description="Grey-level change that counts")
    min_changed: float = Field(
        default=0.002, gt=0, lt=1, description="Fraction of changed pixels that wakes the detector"
    )
    max_skip_s: float = Field(default=5.0, gt=0, description="Run the detector at least this often, seconds")
    ignore_inside_boxes: bool = Field(
        default=True,
        description="Change inside boxes of objects that stood still between the last two detector runs "
        "does not count",
    )


@dataclass(frozen=True)
class GateDecision:
    """Whether to run the detector, and why (for metrics and logs)."""

    run: bool
    reason: str
    changed: float


class MotionGate:
    """Frame differencing on a small grey image against the frame of the last detector run."""

    def __init__(self, config: GateConfig) -> None:
        self.config = config
        self._reference: NDArray[np.uint8] | None = None
        self._reference_t = 0.0
        self.passed = 0
        self.skipped = 0

    def check(
        self, image: NDArray[np.uint8], t: float, still_boxes: NDArray[np.float32] | None = None
    ) -> GateDecision:
        """Decide for one frame at stream time `t`; a passing frame becomes the new reference.

        `still_boxes` (frame pixels) are objects that did not move between the last two detector
        runs: with `ignore_inside_boxes`, change inside them (a person shifting their weight) does
        not wake the detector; an object that walks off its box changes pixels outside it and does.
        """
        if not self.config.enabled:
            return self._count(GateDecision(True, "gate off", 1.0))
        small = self._shrink(image)
        if self._reference is None or self._reference.shape != small.shape:
            return self._count(self._pass(small, t, "first frame", 1.0))
        moved = cv2.absdiff(small, self._reference) > self.config.pixel_threshold
        if self.config.ignore_inside_boxes and still_boxes is not None and len(still_boxes):
            self._mask_boxes(moved, still_boxes, image.shape[1])
        changed = float(np.count_nonzero(moved)) / moved.size
        if changed >= self.config.min_changed:
            return self._count(self._pass(small, t, "motion", changed))
        if t - self._reference_t >= self.config.max_skip_s:
            return self._count(self._pass(small, t, "refresh", changed))
        return self._count(GateDecision(False, "still", changed))

    def _mask_boxes(self, moved: NDArray[np.bool_], boxes: NDArray[np.float32], width: int) -> None:
        scale = self.config.width / width
        for x1, y1, x2, y2 in np.round(boxes * scale).astype(int):
            moved[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)] = False

    def reset(self) -> None:
        """Forget the reference (new source or reconnect)."""
        self._reference = None

    def _pass(self, small: NDArray[np.uint8], t: float, reason: str, changed: float) -> GateDecision:
        self._reference, self._reference_t = small, t
        return GateDecision(True, reason, changed)

    def _count(self, decision: GateDecision) -> GateDecision:
        if decision.run:
            self.passed += 1
        else:
            self.skipped += 1
        return decision

    def _shrink(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        height, width = image.shape[:2]
        size = (self.config.width, max(1, round(height * self.config.width / width)))
        # INTER_LINEAR: 0.04 ms against INTER_AREA's 1.5 ms on 768x432; the blur below smooths the aliasing
        grey = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2GRAY)
        return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.uint8)
