"""Score what the pipeline reported against the hand-made truth: frame recall and false objects.

Per evaluated frame and truth class (a class name or group, e.g. `person`, `vehicle`):

- objects with intervals: `sure` objects must be found (recall), up to `visible` objects may be
  found without being false;
- counts by zone: the reported objects are placed in zones by the bottom centre of their box (as the
  rules place them); per zone, up to the true count are hits, the rest are false, less `unsure`;
- reported objects of any other class are false, except `allowed` ones.

Frames of a clip with `counts` are evaluated only at the counted frames; other clips at every frame
the pipeline processed. "Reported" is what the rules see: confirmed tracks (`tracker_id >= 0`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import supervision as sv
from numpy.typing import NDArray
from shapely import Point, Polygon

from bench.accuracy_truth import ClipTruth, CountRow, Expectation


@dataclass
class FrameTally:
    """Sums over evaluated frames."""

    frames: int = 0
    hits: int = 0
    truth: int = 0
    false: int = 0
    small_hits: int = 0
    small_truth: int = 0
    false_by_class: dict[str, int] = field(default_factory=dict)

    def add(self, other: FrameTally) -> None:
        """Add another tally to this one."""
        self.frames += other.frames
        self.hits += other.hits
        self.truth += other.truth
        self.false += other.false
        self.small_hits += other.small_hits
        self.small_truth += other.small_truth
        for name, count in other.false_by_class.items():
            self.false_by_class[name] = self.false_by_class.get(name, 0) + count

    @property
    def recall(self) -> float:
        """Found / true objects (1.0 when there were none)."""
        return self.hits / self.truth if self.truth else 1.0

    @property
    def small_recall(self) -> float | None:
        """Recall on objects in small zones (None when the truth has none)."""
        return self.small_hits / self.small_truth if self.small_truth else None

    @property
    def false_per_frame(self) -> float:
        """False objects per evaluated frame."""
        return self.false / self.frames if self.frames else 0.0


class FrameScorer:
    """Scores the reported objects of single frames of one clip against its truth."""

    def __init__(self, truth: ClipTruth) -> None:
        self.truth = truth
        self._zones = {name: Polygon(points) for name, points in truth.zones.items()}
        self._rows: dict[int, dict[str, CountRow]] = {}
        for name, rows in truth.counts.items():
            for row in rows:
                self._rows.setdefault(row.frame, {})[name] = row

    def evaluates(self, frame_index: int) -> bool:
        """Whether this frame has truth to compare with."""
        return not self._rows or frame_index in self._rows

    def score(self, frame_index: int, reported: sv.Detections) -> FrameTally:
        """The tally of one frame (empty when the frame is not evaluated)."""
        if not self.evaluates(frame_index):
            return FrameTally()
        tally = FrameTally(frames=1)
        keys = list(self.truth.objects) + list(self.truth.counts)
        matched = np.zeros(len(reported), dtype=bool)
        for key in self.truth.objects:
            mask = _of_class(reported, key)
            matched |= mask
            self._score_objects(tally, key, frame_index, int(mask.sum()))
        for key, row in self._rows.get(frame_index, {}).items():
            mask = _of_class(reported, key)
            matched |= mask
            self._score_counts(tally, key, row, _pick(reported, mask))
        names = [str(n) for n in reported.data.get("class_name", [""] * len(reported))]
        for k, name in enumerate(names):
            if not matched[k] and name not in self.truth.allowed and name not in keys:
                tally.false += 1
                tally.false_by_class[name] = tally.false_by_class.get(name, 0) + 1
        return tally

    def _score_objects(self, tally: FrameTally, key: str, index: int, found: int) -> None:
        objects = self.truth.objects[key]
        sure = sum(1 for o in objects if o.sure is not None and o.sure[0] <= index <= o.sure[1])
        visible = sum(1 for o in objects if o.visible[0] <= index <= o.visible[1])
        tally.hits += min(found, sure)
        tally.truth += sure
        _add_false(tally, key, max(0, found - visible))

    def _score_counts(self, tally: FrameTally, key: str, row: CountRow, found: sv.Detections) -> None:
        truth = row.by_zone()
        placed = self._place(found)
        extra = 0
        for zone in set(truth) | set(placed):
            want, got = truth.get(zone, 0), placed.get(zone, 0)
            tally.hits += min(want, got)
            tally.truth += want
            extra += max(0, got - want)
            if zone in self.truth.small_zones:
                tally.small_hits += min(want, got)
                tally.small_truth += want
        _add_false(tally, key, max(0, extra - row.unsure))

    def _place(self, found: sv.Detections) -> dict[str, int]:
        """Objects per zone by the bottom centre of their box; outside every zone → `elsewhere`."""
        placed: dict[str, int] = {}
        for x1, _, x2, y2 in found.xyxy.tolist():
            point = Point((x1 + x2) / 2, y2)
            zone = next((name for name, poly in self._zones.items() if poly.covers(point)), "elsewhere")
            placed[zone] = placed.get(zone, 0) + 1
        return placed


def confirmed(tracked: sv.Detections) -> sv.Detections:
    """The tracked objects the rules see (confirmed tracks)."""
    if tracked.tracker_id is None:
        return _pick(tracked, np.zeros(len(tracked), dtype=bool))
    return _pick(tracked, tracked.tracker_id >= 0)


def counted(found: sv.Detections, thresholds: NDArray[np.float32]) -> sv.Detections:
    """The detections at or above their class threshold (what counts, before tracking)."""
    if found.confidence is None or found.class_id is None:
        return found
    return _pick(found, found.confidence >= thresholds[np.asarray(found.class_id, dtype=int)])


def exact(expect: Expectation, alerts: dict[str, int], events: dict[str, int]) -> bool:
    """Whether the centre holds exactly the expected alerts per rule and events per type."""
    want_alerts = {k: v for k, v in expect.alerts.items() if v}
    want_events = {k: v for k, v in expect.events.items() if v}
    return alerts == want_alerts and events == want_events


def _of_class(found: sv.Detections, key: str) -> NDArray[np.bool_]:
    blank = [""] * len(found)
    names, groups = found.data.get("class_name", blank), found.data.get("group", blank)
    return np.array([str(n) == key or str(g) == key for n, g in zip(names, groups, strict=True)], dtype=bool)


def _pick(found: sv.Detections, mask: NDArray[np.bool_]) -> sv.Detections:
    picked = found[mask]
    assert isinstance(picked, sv.Detections)
    return picked


def _add_false(tally: FrameTally, key: str, count: int) -> None:
    if count:
        tally.false += count
        tally.false_by_class[key] = tally.false_by_class.get(key, 0) + count
