"""Per-camera object filters: what a detection of a class must look like to count, applied before tracking.

Configured per class or class group (a class's own entry wins over its group's):

    filters:
      person: {min_area: 600, max_ratio: 1.0, masks: [[[0, 0], [200, 0], [200, 80], [0, 80]]]}
      kite: {min_score: 0.8}

- `min_area` / `max_area`: box area in pixels of the original frame;
- `min_ratio` / `max_ratio`: box width / height (a standing person is about 0.3-0.6);
- `min_score`: raises the class threshold for this camera. A detection between the detector's
  threshold and `min_score` is counted as filtered and no longer counts on its own; like any detection
  below its threshold it may still continue an existing track (see `detectors.tracking`);
- `masks`: polygons where this class is ignored, tested with the bottom centre of the box (the point
  the rules use), e.g. painted marks that the model calls "kite".

Each detection that would have counted and was filtered is counted by class and reason
(`gridwatch_edge_objects_filtered_total` in /metrics).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import supervision as sv
from numpy.typing import NDArray

from edge.config import ObjectFilter
from edge.rules.geometry import Anchor, Zone, ZoneConfig, anchor_points

REASONS = ("mask", "min_area", "max_area", "min_ratio", "max_ratio", "min_score")


class FilterError(ValueError):
    """A filter names a class the model does not have, or cannot filter anything."""


class ObjectFilters:
    """The filters of one camera, resolved per class id of the model.

    Example:
        >>> filters = ObjectFilters({"person": ObjectFilter(min_area=600)}, classes=["person", "car"],
        ...                         groups=["", "vehicle"], thresholds=np.array([0.4, 0.3], np.float32))
        >>> kept = filters.apply(detections)  # doctest: +SKIP
        >>> filters.filtered  # doctest: +SKIP
        Counter({('person', 'min_area'): 3})
    """

    def __init__(
        self, config: dict[str, ObjectFilter], *, classes: list[str], groups: list[str],
        thresholds: NDArray[np.float32],
    ) -> None:  # fmt: skip
        unknown = sorted(set(config) - set(classes) - {g for g in groups if g})
        if unknown:
            raise FilterError(f"filters for {unknown}: neither classes of the model nor class groups")
        self.classes = np.asarray(classes)
        self.detector_thresholds = np.asarray(thresholds, dtype=np.float32)
        self._of_class = [
            config.get(name) or config.get(group) for name, group in zip(classes, groups, strict=True)
        ]
        self.thresholds = self._raised_thresholds(config, groups)
        self._masks = [
            [Zone.from_config(ZoneConfig(name=f"mask-{k}", points=p)) for k, p in enumerate(f.masks)]
            if f
            else []
            for f in self._of_class
        ]
        self.filtered: Counter[tuple[str, str]] = Counter()

    def _raised_thresholds(self, config: dict[str, ObjectFilter], groups: list[str]) -> NDArray[np.float32]:
        scores = [f.min_score if f is not None and f.min_score is not None else 0.0 for f in self._of_class]
        raised = np.maximum(self.detector_thresholds, np.asarray(scores, dtype=np.float32))
        for key, entry in config.items():
            members = [k for k, (n, g) in enumerate(zip(self.classes, groups, strict=True)) if key in (n, g)]
            if entry.min_score is not None and all(raised[k] == self.detector_thresholds[k] for k in members):
                threshold = float(self.detector_thresholds[members].max()) if members else 0.0
                raise FilterError(
                    f"filters.{key}.min_score {entry.min_score} is not above the detector's threshold "
                    f"{threshold:g}: it would filter nothing (raise the threshold there, or drop it)"
                )
        return raised

    @property
    def active(self) -> bool:
        """Whether any class has a filter."""
        return any(f is not None for f in self._of_class)

    def apply(self, detections: sv.Detections) -> sv.Detections:
        """The detections that pass (a new object); what would have counted and did not is tallied."""
        if not self.active or len(detections) == 0 or detections.class_id is None:
            return detections
        class_id = np.asarray(detections.class_id, dtype=int)
        reason = self._reasons(detections, class_id)
        scores = (
            np.ones(len(detections), np.float32) if detections.confidence is None else detections.confidence
        )
        counted = scores >= self.detector_thresholds[class_id]
        for k in np.flatnonzero(counted & (reason != "")):
            self.filtered[(str(self.classes[class_id[k]]), str(reason[k]))] += 1
        keep = (reason == "") | (reason == "min_score")  # below min_score: low, may continue a track
        picked = detections[keep]
        assert isinstance(picked, sv.Detections)
        return picked

    def _reasons(self, detections: sv.Detections, class_id: NDArray[np.int_]) -> NDArray[np.str_]:
        """The first reason each detection fails, or '' when it passes."""
        reason = np.full(len(detections), "", dtype=object)
        x1, y1, x2, y2 = np.asarray(detections.xyxy, dtype=np.float64).T
        width, height = x2 - x1, y2 - y1
        area, ratio = width * height, width / np.maximum(height, 1e-6)
        points = anchor_points(detections, Anchor.BOTTOM_CENTER)
        scores = np.ones(len(detections)) if detections.confidence is None else detections.confidence
        for k, cls in enumerate(class_id.tolist()):
            entry = self._of_class[cls]
            if entry is None:
                continue
            checks = (
                ("mask", any(bool(zone.contains(points[k : k + 1])[0]) for zone in self._masks[cls])),
                ("min_area", entry.min_area is not None and area[k] < entry.min_area),
                ("max_area", entry.max_area is not None and area[k] > entry.max_area),
                ("min_ratio", entry.min_ratio is not None and ratio[k] < entry.min_ratio),
                ("max_ratio", entry.max_ratio is not None and ratio[k] > entry.max_ratio),
                ("min_score", entry.min_score is not None and scores[k] < entry.min_score),
            )
            reason[k] = next((name for name, failed in checks if failed), "")
        return np.asarray(reason, dtype=np.str_)
