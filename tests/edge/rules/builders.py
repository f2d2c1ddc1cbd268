"""Small builders for rules tests: tracked detections placed by their bottom-centre anchor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import supervision as sv

from edge.rules import RuleHit, RulesConfig, RuleSet, build_rules

GROUPS = {"car": "vehicle", "truck": "vehicle", "bus": "vehicle", "person": ""}
Box = tuple[float, float, float, float]
Obj = tuple[str, float, float, int]
"""class name, anchor x, anchor y (bottom centre of the box), track id (-1: tentative)."""

SQUARE = [(100.0, 100.0), (300.0, 100.0), (300.0, 300.0), (100.0, 300.0)]
"""Zone used by most tests: x and y from 100 to 300."""


def make_detections(boxes: Sequence[Box], classes: Sequence[str], track_ids: Sequence[int]) -> sv.Detections:
    """Detections as a tracker hands them to the rules: boxes, class names, groups, track ids."""
    if not boxes:
        return sv.Detections.empty()
    return sv.Detections(
        xyxy=np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        confidence=np.full(len(boxes), 0.9, dtype=np.float32),
        class_id=np.asarray([sorted(GROUPS).index(name) for name in classes]),
        tracker_id=np.asarray(track_ids, dtype=int),
        data={"class_name": np.asarray(classes), "group": np.asarray([GROUPS[name] for name in classes])},
    )


def frame(*objects: Obj) -> sv.Detections:
    """One frame of objects, each a 20x40 box whose bottom centre is at (x, y)."""
    boxes = [(x - 10.0, y - 40.0, x + 10.0, y) for _, x, y, _ in objects]
    return make_detections(boxes, [name for name, *_ in objects], [track for *_, track in objects])


def build(*rules: dict[str, Any], zone: Sequence[tuple[float, float]] = SQUARE) -> RuleSet:
    """A rule set with zone "z", line "l" ((100, 200) → (300, 200): A is above) and `rules`."""
    return build_rules(
        RulesConfig.model_validate(
            {
                "zones": [{"name": "z", "points": list(zone)}],
                "lines": [{"name": "l", "start": (100, 200), "end": (300, 200)}],
                "rules": list(rules),
            }
        )
    )


def run(rules: RuleSet, frames: Iterable[sv.Detections], fps: float = 5.0, start: int = 0) -> list[RuleHit]:
    """Evaluate frames at `fps` (t = index / fps); every hit raised."""
    return [
        hit for k, dets in enumerate(frames, start) for hit in rules.evaluate(dets, t=k / fps, frame_index=k)
    ]


def repeat(n: int, *objects: Obj) -> list[sv.Detections]:
    """`n` identical frames."""
    return [frame(*objects) for _ in range(n)]
