"""Suggestions for a noisy camera, computed from its judged alerts; shown to an admin, never applied.

Two kinds:
- a score threshold: the threshold (just above one of the false alarms' scores) that removes the
  largest share of false alarms while removing at most `MAX_CONFIRMED_LOSS` of confirmed alerts;
- an object mask: when most false alarms' boxes have their centre in one ninth of the image (3×3
  regions of the frame spanned by the camera's boxes) where few confirmed alerts lie.

Example:
    >>> s = threshold_suggestion([0.3, 0.4, 0.9], [0.8, 0.95])
    >>> (s.threshold, s.false_alarms_removed, s.confirmed_removed)
    (0.41, 2, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_FALSE_ALARMS = 3
MIN_REMOVED_SHARE = 0.3
MAX_CONFIRMED_LOSS = 0.1
MASK_SHARE = 0.6
MASK_MAX_CONFIRMED = 0.2
REGIONS = 3

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ThresholdSuggestion:
    """Raising the score threshold to `threshold` would have removed these alerts."""

    threshold: float
    false_alarms_removed: int
    false_alarms: int
    confirmed_removed: int
    confirmed: int

    @property
    def false_alarm_share(self) -> float:
        """Share of the false alarms it removes."""
        return self.false_alarms_removed / self.false_alarms

    @property
    def confirmed_share(self) -> float:
        """Share of the confirmed alerts it removes (0 when none were confirmed)."""
        return self.confirmed_removed / self.confirmed if self.confirmed else 0.0


@dataclass(frozen=True)
class MaskSuggestion:
    """False alarms cluster in `region` (pixels x1, y1, x2, y2 of the camera's frame)."""

    region: Box
    false_alarms_inside: int
    false_alarms: int
    confirmed_inside: int
    confirmed: int


def threshold_suggestion(
    false_alarm_scores: Sequence[float], confirmed_scores: Sequence[float]
) -> ThresholdSuggestion | None:
    """The best threshold, or None when no threshold removes enough false alarms cheaply."""
    if len(false_alarm_scores) < MIN_FALSE_ALARMS:
        return None
    best: ThresholdSuggestion | None = None
    for t in sorted({min(1.0, round(s + 0.01, 2)) for s in false_alarm_scores}):
        found = ThresholdSuggestion(
            t,
            sum(s < t for s in false_alarm_scores),
            len(false_alarm_scores),
            sum(s < t for s in confirmed_scores),
            len(confirmed_scores),
        )
        if found.confirmed_share > MAX_CONFIRMED_LOSS or found.false_alarm_share < MIN_REMOVED_SHARE:
            continue
        if best is None or _gain(found) > _gain(best):
            best = found
    return best


def _gain(s: ThresholdSuggestion) -> float:
    return s.false_alarm_share - 2 * s.confirmed_share


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def mask_suggestion(
    false_alarm_boxes: Sequence[Box], confirmed_boxes: Sequence[Box]
) -> MaskSuggestion | None:
    """The region holding most false alarms and few confirmed ones, or None."""
    if len(false_alarm_boxes) < MIN_FALSE_ALARMS:
        return None
    every = [*false_alarm_boxes, *confirmed_boxes]
    width, height = max(b[2] for b in every), max(b[3] for b in every)
    if width <= 0 or height <= 0:
        return None

    def region(box: Box) -> tuple[int, int]:
        x, y = _centre(box)
        return min(REGIONS - 1, int(x / width * REGIONS)), min(REGIONS - 1, int(y / height * REGIONS))

    counts: dict[tuple[int, int], int] = {}
    for box in false_alarm_boxes:
        counts[region(box)] = counts.get(region(box), 0) + 1
    (col, row), inside = max(counts.items(), key=lambda item: (item[1], item[0]))
    ok_inside = sum(region(b) == (col, row) for b in confirmed_boxes)
    if inside / len(false_alarm_boxes) < MASK_SHARE:
        return None
    if confirmed_boxes and ok_inside / len(confirmed_boxes) > MASK_MAX_CONFIRMED:
        return None
    w, h = width / REGIONS, height / REGIONS
    area = (round(col * w), round(row * h), round((col + 1) * w), round((row + 1) * h))
    return MaskSuggestion(area, inside, len(false_alarm_boxes), ok_inside, len(confirmed_boxes))
