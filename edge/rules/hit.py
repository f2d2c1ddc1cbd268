"""What a rule reports when its condition is met: one `RuleHit` per object (or zone) and episode."""

from __future__ import annotations

from dataclasses import dataclass, field

import supervision as sv

from edge.rules.geometry import Line, Zone
from gridwatch.contracts import AlertKind, Severity
from gridwatch.contracts.alert import Details


@dataclass(frozen=True, eq=False)
class RuleHit:
    """A rule fired on one frame.

    `detections` is the subset of the frame's detections involved (boxes, labels in
    `data["class_name"]`, scores, track ids); `geometry` is the zone or line to draw, or None for a
    rule without one.

    Example:
        >>> hit = RuleHit(rule_id="door", kind=AlertKind.INTRUSION, severity=Severity.HIGH, t=3.2,
        ...               frame_index=16, track_ids=(7,), detections=sv.Detections.empty())
        >>> hit.kind.value
        'intrusion'
    """

    rule_id: str
    kind: AlertKind
    severity: Severity
    t: float
    frame_index: int
    track_ids: tuple[int, ...]
    detections: sv.Detections
    geometry: Zone | Line | None = None
    details: Details = field(default_factory=dict)
