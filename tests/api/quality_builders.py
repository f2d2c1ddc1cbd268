"""Alerts with known scores and boxes from two cameras, judged by operators, for the quality tests.

cam-gate: 10 false alarms (8 with low scores and boxes in the top-left ninth of a 640×480 frame),
5 confirmed alerts with high scores elsewhere; cam-yard: 1 false alarm, 5 confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.builders import cell_center, make_alert

TOP_LEFT = (20.0, 20.0, 120.0, 140.0)
ELSEWHERE = (400.0, 300.0, 640.0, 480.0)
SEEDED: dict[str, dict[str, list[tuple[float, tuple[float, float, float, float]]]]] = {
    "cam-gate": {
        "false": [(s, TOP_LEFT) for s in (0.30, 0.33, 0.36, 0.40, 0.42, 0.45, 0.48, 0.50)]
        + [(0.86, ELSEWHERE), (0.88, (300.0, 200.0, 360.0, 300.0))],
        "confirmed": [(s, ELSEWHERE) for s in (0.80, 0.84, 0.87, 0.90, 0.93)],
    },
    "cam-yard": {
        "false": [(0.60, ELSEWHERE)],
        "confirmed": [(s, ELSEWHERE) for s in (0.70, 0.75, 0.80, 0.85, 0.90)],
    },
}
CELLS = {("cam-gate", "false"): (1, 1, 1), ("cam-gate", "confirmed"): (1, 1, 2),
         ("cam-yard", "false"): (2, 1, 1), ("cam-yard", "confirmed"): (2, 1, 2)}  # fmt: skip
DISMISS = {"action": "dismiss", "verdict": {"kind": "false_alarm", "false_alarm": "wrong_object"}}
DISPATCH = {"action": "dispatch", "department": "应急管理", "worker": "王伟"}


def quality_alert(
    alert_id: str,
    source: str,
    score: float,
    box: tuple[float, ...],
    cell: tuple[int, ...],
    *,
    ago_min: float = 0,
) -> Any:
    """An alert of `source` with one person box, observed `ago_min` minutes ago."""
    return make_alert(
        alert_id,
        at=cell_center(*cell),
        observed_at=datetime.now(UTC) - timedelta(minutes=ago_min),
        source_id=source,
        score=score,
        rule="gate-after-hours",
        model={"name": "yolov3-tiny-coco", "version": "1"},
        evidence={"boxes": [{"label": "person", "score": score, "box": list(box)}]},
    )


def seed_quality(post: Callable[[dict[str, Any]], str], act: Callable[[str, dict[str, Any]], None]) -> None:
    """Post every seeded alert (`post` returns its event code), then dismiss or dispatch the events."""
    for source, kinds in SEEDED.items():
        for kind, alerts in kinds.items():
            ago = 60 if kind == "false" else 0  # a camera sits in one place: its false alarms and its
            # confirmed alerts stay apart in time (beyond the correlation window), not in space
            cell = CELLS[source, kind]
            codes = {post(quality_alert(f"q-{source}-{kind}-{i}", source, s, b, cell, ago_min=ago))
                     for i, (s, b) in enumerate(alerts)}  # fmt: skip
            for code in codes:
                for body in [DISMISS] if kind == "false" else [{"action": "acknowledge"}, DISPATCH]:
                    act(code, body)
