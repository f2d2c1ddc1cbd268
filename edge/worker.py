"""The edge worker: the whole box wired in one place.

Read `EdgeWorker.__init__` as the table of contents: outbox → publisher → per camera a source (for a
wvp camera, one that asks wvp to play the channel before every open) and a pipeline (gate → detector
→ tracker → rules). Each camera runs on its own thread; detectors of
the same model share one onnxruntime session. Sensors, when listed, run as one `SensorWorker`
(MQTT feed → sensor rules) into the same outbox.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry

from detectors import Detector
from edge.clips import CameraSpec, EdgeClips
from edge.clips.metrics import ClipsCollector
from edge.config import CameraConfig, EdgeConfig
from edge.health import EdgeCollector, HealthServer, detector_latency, health_report
from edge.monitor import OfflineMonitor
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline, CameraStats
from edge.publisher import Publisher
from edge.sensors.worker import SensorWorker
from ingest import IngestError, StreamLocator, VideoSource, VideoSourceConfig
from ingest.wvp import WvpClient, WvpLocator, resolve_credentials

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    """What a run did: per camera counters, alerts delivered during this run, alerts still queued."""

    cameras: dict[str, CameraStats]
    delivered: int
    pending: int
    drained: bool


class EdgeWorker:
    """Sources → gate → detector → tracker → rules → outbox → publisher, for every camera."""

    def __init__(self, config: EdgeConfig) -> None:
        self.config = config
        self.outbox = Outbox(config.data_dir / "outbox.db", config.outbox)
        self.publisher = Publisher(self.outbox, config.api)
        self.wvp = _wvp_client(config)
        self.sources = {camera.id: _video_source(camera, self.wvp) for camera in config.cameras}
        self.registry = CollectorRegistry()
        latency = detector_latency(self.registry)
        self.pipelines = {
            camera.id: CameraPipeline(
                camera, Detector.from_config(camera.detector), device_id=config.device_id, outbox=self.outbox,
                observe_latency=latency.labels(camera.id).observe,
            )
            for camera in config.cameras
        }  # fmt: skip
        self.clips = _edge_clips(config)
        if self.clips is not None:
            self.registry.register(ClipsCollector(self.clips))
        self.sensors = _sensor_worker(config, self.outbox, self.publisher)
        self.registry.register(
            EdgeCollector(self.sources, self.pipelines, self.outbox, self.publisher, sensors=self.sensors)
        )
        self.http = None if config.http.port == 0 else HealthServer(config.http, self.registry, self.health)
        started = datetime.now(UTC)
        self.monitors = {
            camera.id: OfflineMonitor(camera, device_id=config.device_id, started=started)
            for camera in config.cameras
            if camera.is_live
        }
        self._stop = threading.Event()

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether every camera streams (or finished), and the /healthz body."""
        healthy, body = health_report(self.sources, self.outbox, self.publisher)
        if self.clips is not None:
            body["clips"] = self.clips.health()
        return healthy, body

    @property
    def all_files(self) -> bool:
        """True when every camera is a file (a `--once` run can end)."""
        return not any(camera.is_live for camera in self.config.cameras)

    def run(self, *, once: bool) -> RunSummary:
        """Process until stopped (or, with `once`, until every file is read), then drain the outbox."""
        self.publisher.start()
        if self.clips is not None:
            self.clips.start()
        if self.http is not None:
            self.http.start()
        threads = [
            threading.Thread(
                target=self._camera_loop, args=(camera_id,), name=f"camera-{camera_id}", daemon=True
            )
            for camera_id in self.sources
        ]
        for monitor in self.monitors.values():
            monitor.started = datetime.now(UTC)
        for thread in threads:
            thread.start()
        if self.sensors is not None:
            self.sensors.start()
        while not self._stop.is_set() and (not once or any(t.is_alive() for t in threads)):
            self._check_offline()
            self._stop.wait(0.5)
        self._stop.set()
        for source in self.sources.values():
            source.close()
        for thread in threads:
            thread.join(10)
        if self.sensors is not None:
            self.sensors.stop()
        started_drain = time.monotonic()
        drained = self.publisher.stop(self.config.drain_timeout_s)
        if self.clips is not None:
            left = max(1.0, self.config.drain_timeout_s - (time.monotonic() - started_drain))
            self.clips.stop(drain_timeout_s=left)
        if self.http is not None:
            self.http.stop()
        if self.wvp is not None:
            self.wvp.close()
        pending = self.outbox.depth()
        self.outbox.close()
        stats = {camera_id: pipeline.stats for camera_id, pipeline in self.pipelines.items()}
        return RunSummary(stats, self.publisher.stats.sent, pending, drained)

    def stop(self) -> None:
        """Ask the worker to finish (signal handlers call this)."""
        self._stop.set()

    def _check_offline(self) -> None:
        now = datetime.now(UTC)
        for camera_id, monitor in self.monitors.items():
            for alert in monitor.check(self.sources[camera_id].health(), now):
                self.outbox.put(alert)
                self.publisher.notify()

    def _camera_loop(self, camera_id: str) -> None:
        source, pipeline = self.sources[camera_id], self.pipelines[camera_id]
        recorder = None if self.clips is None else self.clips.recorders.get(camera_id)
        reconnects = 0
        try:
            for frame in source.frames():
                if self._stop.is_set():
                    return
                now_reconnects = source.health().reconnects
                if now_reconnects != reconnects:  # a new stream: old tracks mean nothing
                    reconnects = now_reconnects
                    pipeline.reset()
                try:
                    alerts = pipeline.process(frame)
                    if alerts:
                        self.publisher.notify()
                    if recorder is not None:
                        recorder.on_frame(frame, pipeline.track_ids)
                        recorder.on_alerts(alerts, frame)
                except Exception:  # one bad frame must not end the camera
                    logger.exception("camera %s: frame %d failed", camera_id, frame.index)
        except IngestError as exc:
            logger.error("camera %s stopped: %s", camera_id, exc)


def _sensor_worker(config: EdgeConfig, outbox: Outbox, publisher: Publisher) -> SensorWorker | None:
    """MQTT feed → sensor rules → the same outbox, when the config lists sensors."""
    if not config.sensors or config.mqtt is None:
        return None
    return SensorWorker(
        config.device_id, config.mqtt, config.sensors, data_dir=config.data_dir, outbox=outbox,
        notify=publisher.notify,
    )  # fmt: skip


def _edge_clips(config: EdgeConfig) -> EdgeClips | None:
    """Pre-roll and clips for every camera, when clips are enabled and there are cameras."""
    if not config.clips.enabled or not config.cameras:
        return None
    specs = [
        CameraSpec(camera.id, camera.url, detect_fps=camera.detect_fps, open_timeout_s=camera.open_timeout_s,
                   read_timeout_s=camera.read_timeout_s, live=camera.is_live)
        for camera in config.cameras
    ]  # fmt: skip
    return EdgeClips(config.clips, api=config.api, data_dir=config.data_dir, cameras=specs)


def _wvp_client(config: EdgeConfig) -> WvpClient | None:
    """One wvp client (one login) shared by every camera read through wvp; raises WvpError early."""
    if config.wvp is None or not any(camera.wvp is not None for camera in config.cameras):
        return None
    return WvpClient(config.wvp, resolve_credentials(config.wvp))


def _video_source(camera: CameraConfig, wvp: WvpClient | None) -> VideoSource:
    """A stream or file source; for a wvp camera, one that asks wvp to play it before every open."""
    locator: StreamLocator | None = None
    url = camera.url
    if camera.wvp is not None and wvp is not None:
        locator = WvpLocator(wvp, camera.wvp)
        url = locator.name
    assert url is not None, "the config validator guarantees url or wvp"
    source_config = VideoSourceConfig(
        id=camera.id, url=url, located=locator is not None, detect_fps=camera.detect_fps,
        realtime=camera.realtime, open_timeout_s=camera.open_timeout_s, read_timeout_s=camera.read_timeout_s,
    )  # fmt: skip
    return VideoSource(source_config, locator)
