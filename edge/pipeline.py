"""One camera's pipeline: gate → detector → tracker → rules → alerts into the outbox."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import supervision as sv
from numpy.typing import NDArray

from detectors import Detector
from detectors.scheduler import DetectorLane, FrameDroppedError
from detectors.tiles import Tile, merge
from detectors.tracking import ObjectTracker
from edge.config import CameraConfig, EdgeConfigError
from edge.evidence import render_snapshot
from edge.filters import FilterError, ObjectFilters
from edge.gate import MotionGate
from edge.outbox import Outbox
from edge.regions import Motion, MotionRegions
from edge.rules import RuleHit, RuleSet, build_rules
from edge.timeline import source_timeline
from gridwatch.contracts import Alert, Evidence, EvidenceBox, ModelRef, SourceKind
from gridwatch.contracts.alert import make_alert_id
from ingest import Frame
from ingest.frame import Image

logger = logging.getLogger(__name__)


@dataclass
class CameraStats:
    """Counters of one camera's pipeline."""

    frames: int = 0
    detector_calls: int = 0
    regions: int = 0
    gated: int = 0
    alerts: int = 0
    errors: int = 0
    """Frames whose processing raised (logged and skipped)."""
    dropped: int = 0
    """Detector runs the inference scheduler dropped (the last detections stand, as on a gated frame)."""


class TileDetector(Protocol):
    """Runs the model on a frame and its tiles: a `Detector`, or a camera's lane of a shared scheduler."""

    def detect_tiles(self, frame: Image, tiles: list[Tile], *, low_ratio: float = 1.0) -> list[sv.Detections]:
        """Detections in the whole frame (first) and in each tile (then), in frame pixels."""
        ...


class CameraPipeline:
    """Turns frames of one camera into alerts; state (tracks, episodes) is per camera.

    Example:
        >>> pipeline = CameraPipeline(camera, detector, device_id="edge-01", outbox=outbox)
        >>> alerts = pipeline.process(frame)
    """

    def __init__(
        self,
        camera: CameraConfig,
        detector: Detector,
        *,
        device_id: str,
        outbox: Outbox,
        observe_latency: Callable[[float], None] = lambda _seconds: None,
        lane: DetectorLane | None = None,
    ) -> None:
        self.camera = camera
        self.observe_latency = observe_latency
        self.detector = detector
        self.infer: TileDetector = detector if lane is None else lane
        """Where model runs go: the detector itself, or the camera's lane of the model's scheduler."""
        self.device_id = device_id
        self.outbox = outbox
        self.gate = MotionGate(camera.motion)
        self.regions = (
            MotionRegions(camera.regions, model_size=max(detector.input.width, detector.input.height))
            if camera.regions.enabled else None
        )  # fmt: skip
        self.filters = camera_filters(camera, detector)
        self.tracker = ObjectTracker(
            camera.tracker, thresholds=self.filters.thresholds, frame_rate=camera.source.detect_fps
        )
        self.rules: RuleSet = build_rules(camera.rules)
        self.stats = CameraStats()
        self._last = sv.Detections.empty()
        self._tracked = sv.Detections.empty()
        self._still = np.zeros((0, 4), np.float32)
        self._model = ModelRef(name=detector.manifest.name, version=detector.manifest.version)
        self.timeline = source_timeline(camera, outbox)
        self.track_ids: frozenset[int] = frozenset()
        """Track ids in view after the last processed frame (clips extend while an alert's objects stay)."""

    def process(self, frame: Frame) -> list[Alert]:
        """Run one frame through the stages; returned alerts are already queued in the outbox."""
        self.stats.frames += 1
        motion = Motion() if self.regions is None else self.regions.find(frame.image)
        if self.gate.check(frame.image, frame.pts, self._still):
            self._detect(frame, motion)
        else:
            self.stats.gated += 1
        tracked = self._tracked = self.tracker.update(self._last, frame.pts)
        ids = tracked.tracker_id
        self.track_ids = frozenset() if ids is None else frozenset(int(i) for i in ids if i >= 0)
        alerts = [self._alert(hit, frame) for hit in self.rules.evaluate(tracked, frame.pts, frame.index)]
        for alert in alerts:
            self.outbox.put(alert)
            logger.info("camera %s: %s alert %s (rule %s)", self.camera.id, alert.kind.value, alert.alert_id,
                        alert.rule)  # fmt: skip
        self.stats.alerts += len(alerts)
        return alerts

    def _detect(self, frame: Frame, motion: Motion) -> None:
        """Run the detector on the frame (and its motion regions); the result stands until the next run."""
        start = time.perf_counter()
        try:
            whole, *crops = self.infer.detect_tiles(
                frame.image, motion.tiles, low_ratio=self.camera.tracker.low_ratio
            )
        except FrameDroppedError:
            self.stats.dropped += 1
            return
        config = self.detector.config
        found = merge(
            [whole, *map(motion.moving_only, crops)], iou=config.nms_iou, limit=config.max_detections
        )
        found = self.filters.apply(found)
        self.observe_latency(time.perf_counter() - start)
        self.stats.regions += len(motion.tiles)
        self._still = still_boxes(found, self._last)
        self._last = found
        self.stats.detector_calls += 1

    @property
    def detections(self) -> sv.Detections:
        """What the detector found at its last run (reused on frames the gate skips)."""
        return self._last

    @property
    def tracked(self) -> sv.Detections:
        """The tracker's output for the last processed frame (`tracker_id` -1: not confirmed yet)."""
        return self._tracked

    def update(self, camera: CameraConfig) -> None:
        """New zones, lines and rules (or name, location) for this running camera; its stream, tracker
        and counters go on, the rules' episodes start again."""
        self.rules = build_rules(camera.rules)
        self.camera = camera

    def reset(self) -> None:
        """New stream (reconnect): forget tracks, episodes and the gate's reference."""
        self.gate.reset()
        if self.regions is not None:
            self.regions.reset()
        self.tracker.reset()
        self.rules.reset()
        self._last = sv.Detections.empty()
        self._tracked = sv.Detections.empty()
        self._still = np.zeros((0, 4), np.float32)

    def _alert_id(self, hit: RuleHit, frame: Frame) -> str:
        """Deterministic for a file and its time base (a restart with the same outbox re-creates the same
        alerts, which the outbox and the API deduplicate); unique per run for a live stream."""
        tracks = ",".join(str(t) for t in hit.track_ids)
        return make_alert_id(
            self.camera.id,
            self.device_id,
            self.camera.id,
            self.timeline.session,
            hit.rule_id,
            frame.index,
            tracks,
        )

    def _alert(self, hit: RuleHit, frame: Frame) -> Alert:
        boxes = hit.detections
        title = f"{self.camera.id} {hit.rule_id} ({hit.kind.value}) t={frame.pts:.1f}s"
        geometry = [] if hit.geometry is None else [(float(x), float(y)) for x, y in hit.geometry.points]
        jpeg = render_snapshot(frame.image, boxes, geometry, title)
        evidence = Evidence.with_snapshot(jpeg, boxes=_evidence_boxes(boxes))
        scores = boxes.confidence if boxes.confidence is not None and len(boxes) else None
        return Alert(
            alert_id=self._alert_id(hit, frame),
            device_id=self.device_id,
            source_id=self.camera.id,
            source_kind=SourceKind.CAMERA,
            kind=hit.kind,
            severity=hit.severity,
            observed_at=self.timeline.observed_at(frame),
            location=self.camera.location,
            rule=hit.rule_id,
            evidence=evidence,
            model=self._model,
            score=None if scores is None else round(float(scores.max()), 4),
            details={**hit.details, "frame": frame.index, "pts": round(frame.pts, 3)},
        )


def camera_filters(camera: CameraConfig, detector: Detector) -> ObjectFilters:
    """The camera's object filters resolved against the detector's classes and thresholds."""
    try:
        return ObjectFilters(
            camera.filters, classes=list(detector.manifest.classes), groups=detector.groups,
            thresholds=detector.thresholds,
        )  # fmt: skip
    except FilterError as exc:
        raise EdgeConfigError(f"camera {camera.id}: {exc}") from exc


STILL_IOU = 0.9
"""A box that overlaps its previous position this much did not move between two detector runs."""


def still_boxes(current: sv.Detections, previous: sv.Detections) -> NDArray[np.float32]:
    """Boxes of `current` that stayed where they were at the previous detector run (same class)."""
    if len(current) == 0 or len(previous) == 0:
        return np.zeros((0, 4), np.float32)
    overlap = sv.box_iou_batch(current.xyxy, previous.xyxy)
    if current.class_id is not None and previous.class_id is not None:
        overlap = overlap * (current.class_id[:, None] == previous.class_id[None, :])
    return np.asarray(current.xyxy[overlap.max(axis=1) >= STILL_IOU], dtype=np.float32)


def _box(xyxy: NDArray[np.float32]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (round(float(v), 1) for v in xyxy)
    return (x1, y1, x2, y2)


def _evidence_boxes(found: sv.Detections) -> list[EvidenceBox]:
    names = found.data.get("class_name", [])
    tracks = found.tracker_id
    scores = found.confidence
    return [
        EvidenceBox(
            label=str(names[k]),
            score=round(float(scores[k]), 4) if scores is not None else 1.0,
            box=_box(found.xyxy[k]),
            track_id=None if tracks is None or tracks[k] < 0 else int(tracks[k]),
        )
        for k in range(len(found))
    ]
