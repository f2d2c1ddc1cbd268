"""Tracking configured from the class thresholds: a detection that counts can always start a track.

One definition of "this detection counts": its score reaches its class threshold (the detector's
per-class threshold, raised by a camera's `min_score` filter where one is set). ByteTrack has one
global activation threshold and one high/low split; GridWatch gives every class its own by handing
ByteTrack a score rescaled per class, so that for each detection

- score ≥ its class threshold → "high": matched first, may start a track (activation = threshold);
- `low_ratio` × threshold ≤ score < threshold → "low": may only continue a track that already
  exists (ByteTrack's second association, e.g. a person half hidden behind a sign); a low detection
  that continues no track is dropped — it never counts on its own.

A track is confirmed after `min_frames` consecutive matches and kept through misses for
`lost_track_s` seconds of stream time (timestamps come from the frames, so decimation, a motion gate
or dropped frames do not stretch it).
"""

from __future__ import annotations

import logging

import numpy as np
import supervision as sv
import trackers
from numpy.typing import NDArray
from pydantic import Field

from gridwatch.strict import Strict

logger = logging.getLogger(__name__)

SPLIT = 0.5
"""Where the class threshold lands on the rescaled score that ByteTrack sees."""


class TrackerConfig(Strict):
    """How objects are followed from frame to frame (ByteTrack).

    Example:
        >>> TrackerConfig(lost_track_s=2.0).min_frames
        2
    """

    lost_track_s: float = Field(
        default=1.0, gt=0, le=60, description="Seconds a track survives without a matching detection"
    )
    min_frames: int = Field(
        default=2, ge=1, le=30, description="Consecutive matched frames before a track is confirmed"
    )
    low_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Detections scoring at least this fraction of their class threshold may continue an "
        "existing track (never start one); 1 turns this off",
    )
    match_iou: float = Field(
        default=0.1, gt=0, lt=1, description="Least IoU between a track's predicted box and a detection"
    )


class ObjectTracker:
    """ByteTrack with per-class activation and high/low split taken from the class thresholds.

    Example:
        >>> tracker = ObjectTracker(TrackerConfig(), thresholds=np.full(80, 0.4, np.float32), frame_rate=5)
        >>> tracked = tracker.update(detections, t=frame.pts)  # doctest: +SKIP
    """

    def __init__(self, config: TrackerConfig, *, thresholds: NDArray[np.float32], frame_rate: float) -> None:
        self.config = config
        self.thresholds = np.asarray(thresholds, dtype=np.float32)
        self.frame_rate = frame_rate
        self._last_t: float | None = None
        self._tracker = self._new()

    def _new(self) -> trackers.ByteTrackTracker:
        return trackers.ByteTrackTracker(
            lost_track_buffer=max(1, round(self.config.lost_track_s * 30)),  # ByteTrack counts 30 fps frames
            frame_rate=self.frame_rate,
            track_activation_threshold=SPLIT,
            high_conf_det_threshold=SPLIT,
            minimum_consecutive_frames=self.config.min_frames,
            minimum_iou_threshold=self.config.match_iou,
        )

    def update(self, detections: sv.Detections, t: float) -> sv.Detections:
        """Tracked detections of one frame at stream time `t` (s): `tracker_id` -1 until confirmed.

        Returned: every detection at or above its class threshold, and the low ones that continue a
        confirmed track; original scores, boxes and data.
        """
        if self._last_t is not None and t <= self._last_t:
            logger.warning("stream time went from %.3f s to %.3f s: tracks reset", self._last_t, t)
            self.reset()
        self._last_t = t
        kept = self._keep_low_enough(detections)
        rescaled = sv.Detections(
            xyxy=kept.xyxy,
            confidence=self.rescaled(kept),
            class_id=kept.class_id,
            data={"row": np.arange(len(kept))},
        )
        out = self._tracker.update(rescaled, timestamp=t)
        rows = np.asarray(out.data.get("row", np.zeros(0, int)), dtype=int)
        track_ids = np.asarray(out.tracker_id if out.tracker_id is not None else np.zeros(0, int), dtype=int)
        high = self._high(kept)[rows]
        keep = high | (track_ids >= 0)
        result = _take(kept, rows[keep])
        result.tracker_id = track_ids[keep]
        return result

    def rescaled(self, detections: sv.Detections) -> NDArray[np.float32]:
        """Scores mapped so that each detection's class threshold becomes `SPLIT` (monotonic per class)."""
        score = _scores(detections)
        threshold = np.clip(self._threshold_of(detections), 1e-6, 1.0)
        above = SPLIT + (1 - SPLIT) * (score - threshold) / np.maximum(1 - threshold, 1e-6)
        below = SPLIT * score / threshold
        return np.where(score >= threshold, np.minimum(above, 1.0), below).astype(np.float32)

    def reset(self) -> None:
        """Forget every track (new stream, reconnect, time went back)."""
        self._tracker.reset()
        self._last_t = None

    def _threshold_of(self, detections: sv.Detections) -> NDArray[np.float32]:
        if detections.class_id is None:
            return np.full(len(detections), float(self.thresholds.min()), dtype=np.float32)
        return np.asarray(self.thresholds[np.asarray(detections.class_id, dtype=int)], dtype=np.float32)

    def _high(self, detections: sv.Detections) -> NDArray[np.bool_]:
        return np.asarray(_scores(detections) >= self._threshold_of(detections), dtype=np.bool_)

    def _keep_low_enough(self, detections: sv.Detections) -> sv.Detections:
        floor = self.config.low_ratio * self._threshold_of(detections)
        return _take(detections, np.flatnonzero(_scores(detections) >= floor))


def _scores(detections: sv.Detections) -> NDArray[np.float32]:
    if detections.confidence is None:
        return np.ones(len(detections), dtype=np.float32)
    return np.asarray(detections.confidence, dtype=np.float32)


def _take(detections: sv.Detections, rows: NDArray[np.int64]) -> sv.Detections:
    if len(rows) == 0:
        empty = sv.Detections.empty()
        empty.data = {key: np.asarray(value)[:0] for key, value in detections.data.items()}
        return empty
    picked = detections[rows]
    assert isinstance(picked, sv.Detections)
    return picked
