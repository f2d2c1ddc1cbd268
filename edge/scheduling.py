"""The edge box's inference schedulers: one per model session, each camera a lane of its model's.

Cameras whose detectors share an onnxruntime session (same model file, providers and threads) share
one `InferenceScheduler`; `/metrics` and `/healthz` show each camera's submitted, completed and
dropped requests.

Example:
    >>> schedulers = Schedulers(SchedulerConfig())
    >>> lane = schedulers.lane("cam-1", detector)  # None when the scheduler is off
    >>> schedulers.close()
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from detectors import Detector
from detectors.config import SchedulerConfig
from detectors.scheduler import DetectorLane, InferenceScheduler


class Schedulers:
    """One scheduler per model session, started when its first camera asks for a lane."""

    def __init__(self, config: SchedulerConfig) -> None:
        self.config = config
        self._by_session: dict[int, InferenceScheduler] = {}
        self._cameras: dict[str, InferenceScheduler] = {}
        self._lock = threading.Lock()

    def lane(self, camera: str, detector: Detector) -> DetectorLane | None:
        """The camera's lane of its model's scheduler; None when the scheduler is off."""
        if not self.config.enabled:
            return None
        with self._lock:
            key = id(detector.session)
            if key not in self._by_session:
                name = f"{detector.manifest.name}-{len(self._by_session)}"
                self._by_session[key] = InferenceScheduler(detector.session, self.config, name=name).start()
            self._cameras[camera] = self._by_session[key]
        return DetectorLane(detector, self._by_session[key], camera)

    def all(self) -> list[InferenceScheduler]:
        """Every scheduler started so far."""
        with self._lock:
            return list(self._by_session.values())

    def health(self) -> dict[str, Any]:
        """Per model: runs, images and each camera's counters, for /healthz."""
        return {
            scheduler.name: {
                "runs": scheduler.stats.runs,
                "images": scheduler.stats.images,
                "waiting": scheduler.waiting(),
                "cameras": {camera: vars(stats) for camera, stats in scheduler.lanes().items()},
            }
            for scheduler in self.all()
        }

    def close(self) -> None:
        """Stop every scheduler (requests still queued are dropped)."""
        for scheduler in self.all():
            scheduler.close()


class SchedulerCollector(Collector):
    """Per camera counters of the schedulers, read at scrape time."""

    def __init__(self, schedulers: Schedulers) -> None:
        self.schedulers = schedulers

    def collect(self) -> Iterator[Any]:
        """Submitted, completed and dropped requests per camera; model runs and images per model."""
        families = {
            name: CounterMetricFamily(f"gridwatch_edge_scheduler_{name}", text, labels=["camera"])
            for name, text in (
                ("submitted", "Model requests submitted to the inference scheduler"),
                ("completed", "Model requests run"),
                ("dropped", "Model requests dropped unrun (a newer frame of the camera took their place)"),
                ("failed", "Model requests whose run raised"),
            )
        }
        runs = CounterMetricFamily("gridwatch_edge_scheduler_runs", "Batched model runs", labels=["model"])
        images = CounterMetricFamily("gridwatch_edge_scheduler_images", "Images run", labels=["model"])
        for scheduler in self.schedulers.all():
            runs.add_metric([scheduler.name], scheduler.stats.runs)
            images.add_metric([scheduler.name], scheduler.stats.images)
            for camera, stats in scheduler.lanes().items():
                for name, family in families.items():
                    family.add_metric([camera], getattr(stats, name))
        yield from families.values()
        yield runs
        yield images
