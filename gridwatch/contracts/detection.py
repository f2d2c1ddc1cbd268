"""The detection output of `gridwatch detect`: JSON Lines, one object per processed frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from gridwatch.strict import Strict

if TYPE_CHECKING:  # the API imports these contracts and must not pay for supervision
    import supervision as sv


class DetectionRecord(Strict):
    """One detected object; the box is in pixels of the original frame."""

    label: str = Field(description="Class name")
    score: float = Field(ge=0, le=1, description="Detector confidence")
    box: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 in pixels")
    group: str | None = Field(default=None, description="Class group (e.g. vehicle), when configured")
    track_id: int | None = Field(
        default=None, ge=0, description="Tracker id, only when tracking is on and the track is confirmed"
    )


class FrameRecord(Strict):
    """One processed frame.

    Example:
        >>> FrameRecord(frame=12, pts=1.2, detections=[]).model_dump_json()
        '{"frame":12,"pts":1.2,"detections":[]}'
    """

    frame: int = Field(ge=0, description="Index of the frame in the source")
    pts: float = Field(description="Presentation time in seconds from the start of the source")
    detections: list[DetectionRecord]

    @classmethod
    def from_detections(cls, frame: int, pts: float, detections: sv.Detections) -> FrameRecord:
        """Build the record from a Detections object (with class_name / group data)."""
        names = detections.data.get("class_name", np.asarray([], dtype=str))
        groups = detections.data.get("group", np.asarray([""] * len(detections)))
        tracks = detections.tracker_id
        scores = detections.confidence if detections.confidence is not None else np.ones(len(detections))
        records = [
            DetectionRecord(
                label=str(names[k]),
                score=round(float(scores[k]), 4),
                box=_box(detections.xyxy[k]),
                group=str(groups[k]) or None,
                track_id=None if tracks is None or tracks[k] < 0 else int(tracks[k]),  # -1: not confirmed yet
            )
            for k in range(len(detections))
        ]
        return cls(frame=frame, pts=round(pts, 3), detections=records)

    def to_json(self) -> str:
        """One JSON line; optional fields that are unset are left out."""
        return self.model_dump_json(exclude_none=True)


def _box(xyxy: NDArray[np.float32]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (round(float(v), 1) for v in xyxy)
    return (x1, y1, x2, y2)
