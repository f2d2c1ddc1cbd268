"""Suggestions for one camera: its judged alerts of the last 30 days loaded (one camera's worth),
the dominant false-alarm class's scores and the best boxes handed to api/logic/quality.py."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.logic.quality import Box, mask_suggestion, threshold_suggestion
from api.logic.verdicts import VerdictKind
from api.orm import AlertRow, AlertVerdict
from api.services.principals import Principal
from api.services.quality_query import confirmed_clause, judged
from api.services.quality_schema import MaskOut, QualityRow, ThresholdOut
from api.services.verdicts import best_box


def best_xyxy(payload: dict[str, Any]) -> Box | None:
    """The pixel box of the alert's best-scored box, if it sent boxes."""
    boxes = (payload.get("evidence") or {}).get("boxes") or []
    best = max(boxes, key=lambda b: float(b.get("score", 0)), default=None)
    if best is None or len(best.get("box") or []) != 4:
        return None
    x1, y1, x2, y2 = (float(v) for v in best["box"])
    return x1, y1, x2, y2


def suggest(session: Session, principal: Principal, row: QualityRow, since: datetime) -> dict[str, Any]:
    """`threshold` and `mask` suggestions for the camera of `row` (None where the data shows none)."""
    query, events = judged(principal, since)
    found = session.execute(
        query.with_only_columns(AlertRow.payload, AlertVerdict.verdict, confirmed_clause(events)).where(
            AlertRow.device_id == row.device_id, AlertRow.source_id == row.source_id
        )
    ).all()
    false = [payload for payload, verdict, _ok in found if verdict == VerdictKind.FALSE_ALARM.value]
    confirmed = [payload for payload, _verdict, ok in found if ok]
    return {"threshold": _threshold(false, confirmed), "mask": _mask(false, confirmed)}


def _threshold(false: list[dict[str, Any]], confirmed: list[dict[str, Any]]) -> ThresholdOut | None:
    labelled = [best_box(p) for p in false]
    label = Counter(lab for lab, _ in labelled).most_common(1)[0][0] if labelled else None
    fa_scores = [s for lab, s in labelled if lab == label and s is not None]
    ok_scores = [s for lab, s in (best_box(p) for p in confirmed) if lab == label and s is not None]
    found = threshold_suggestion(fa_scores, ok_scores)
    if found is None:
        return None
    return ThresholdOut(
        label=label,
        threshold=found.threshold,
        false_alarms_removed=found.false_alarms_removed,
        false_alarms=found.false_alarms,
        false_alarm_share=round(found.false_alarm_share, 4),
        confirmed_removed=found.confirmed_removed,
        confirmed=found.confirmed,
        confirmed_share=round(found.confirmed_share, 4),
    )


def _mask(false: list[dict[str, Any]], confirmed: list[dict[str, Any]]) -> MaskOut | None:
    fa_boxes = [b for b in map(best_xyxy, false) if b is not None]
    ok_boxes = [b for b in map(best_xyxy, confirmed) if b is not None]
    found = mask_suggestion(fa_boxes, ok_boxes)
    if found is None:
        return None
    return MaskOut(
        region=found.region,
        false_alarms_inside=found.false_alarms_inside,
        false_alarms=found.false_alarms,
        confirmed_inside=found.confirmed_inside,
        confirmed=found.confirmed,
    )
