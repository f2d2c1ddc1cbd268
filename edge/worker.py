"""The edge worker: the whole box wired in one place.

Read `EdgeWorker.__init__` as the table of contents: supervisor → outbox → publisher → per camera a
source (for a wvp camera, one that asks wvp to play the channel before every open) and a pipeline
(gate → detector → tracker → rules). Each camera runs on its own thread; detectors of the same model
share one onnxruntime session. Sensors, when listed, run as one `SensorWorker` (MQTT feed → sensor
rules) into the same outbox. Every thread that carries a feed (each camera loop, the publisher, the
MQTT feed, the sensor silence watch) runs under one `Supervisor`: a thread that dies is restarted
after a backoff, and /healthz is 503 while it is down.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry

from detectors import Detector
from edge.apply import apply_config, camera_spec, camera_thread
from edge.centre_config import CentreConfig
from edge.clips import EdgeClips
from edge.clips.metrics import ClipsCollector
from edge.config import CameraConfig, EdgeConfig
from edge.health import EdgeCollector, HealthServer, detector_latency, health_report
from edge.heartbeat import FrameRates, HeartbeatSender, Usage, build_heartbeat
from edge.memory import MemoryTrimmer
from edge.monitor import OfflineMonitor
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline, CameraStats
from edge.publisher import Publisher
from edge.scheduling import SchedulerCollector, Schedulers
from edge.sensors.worker import SensorWorker
from edge.snapshots import SnapshotSender
from edge.supervisor import Supervisor
from gridwatch.contracts.heartbeat import Heartbeat
from ingest import IngestError, SourceState, StreamLocator, VideoSource, VideoSourceConfig
from ingest.wvp import WvpClient, WvpLocator, resolve_credentials

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    """What a run did: per camera counters, alerts delivered during this run, alerts still queued or
    parked, and the cameras whose source failed (camera id → the error)."""

    cameras: dict[str, CameraStats]
    delivered: int
    pending: int
    drained: bool
    parked: int = 0
    failed_sources: dict[str, str] = field(default_factory=dict)


class EdgeWorker:
    """Sources → gate → detector → tracker → rules → outbox → publisher, for every camera."""

    def __init__(
        self, config: EdgeConfig, *, supervisor: Supervisor | None = None, centre: CentreConfig | None = None
    ) -> None:
        self.config = config
        self.centre = centre
        self.supervisor = supervisor or Supervisor()
        self.outbox = Outbox(config.data_dir / "outbox.db", config.outbox)
        self.publisher = Publisher(self.outbox, config.api, supervisor=self.supervisor)
        self.wvp = _wvp_client(config)
        self.registry = CollectorRegistry()
        self._latency = detector_latency(self.registry)
        self.schedulers = Schedulers(config.scheduler)
        self.registry.register(SchedulerCollector(self.schedulers))
        self.sources: dict[str, VideoSource] = {}
        self.pipelines: dict[str, CameraPipeline] = {}
        self.monitors: dict[str, OfflineMonitor] = {}
        for camera in config.cameras:
            self.build_camera(camera)
        self.clips = _edge_clips(config, self.supervisor)
        if self.clips is not None:
            self.registry.register(ClipsCollector(self.clips))
        self.sensors = _sensor_worker(config, self.outbox, self.publisher, self.supervisor)
        self.collector = EdgeCollector(
            self.sources, self.pipelines, self.outbox, self.publisher, supervisor=self.supervisor,
            sensors=self.sensors,
        )  # fmt: skip
        self.registry.register(self.collector)
        self.http = None if config.http.port == 0 else HealthServer(config.http, self.registry, self.health)
        self.snapshots = (
            None if centre is None else SnapshotSender(config.api, every_s=centre.settings.snapshot_s)
        )
        self._stop = threading.Event()
        self._pending: EdgeConfig | None = None
        self._pending_lock = threading.Lock()

        self._started = time.monotonic()
        self._rates, self._usage = FrameRates(), Usage()
        self.heartbeat = (
            None if config.heartbeat_s == 0
            else HeartbeatSender(config.api, self._heartbeat, interval_s=config.heartbeat_s, stop=self._stop)
        )  # fmt: skip

    def _heartbeat(self) -> Heartbeat:
        """This box's status now (what the heartbeat sender posts)."""
        engine = None if self.sensors is None else self.sensors.engine
        return build_heartbeat(
            device_id=self.config.device_id,
            started=self._started,
            cameras={
                c: (src.health().state.value, self.pipelines[c].stats.frames)
                for c, src in self.sources.items()
            },
            sensors={s.id: engine.last_message.get(s.id) if engine else None for s in self.config.sensors},
            outbox=(self.outbox.depth(), self.outbox.parked()),
            rates=self._rates,
            usage=self._usage,
        )

    def build_camera(self, camera: CameraConfig) -> None:
        """The camera's source, pipeline and (live cameras) offline monitor; not started."""
        detector = Detector.from_config(camera.detector)
        self.sources[camera.id] = _video_source(camera, self.wvp)
        self.pipelines[camera.id] = CameraPipeline(
            camera, detector, device_id=self.config.device_id, outbox=self.outbox,
            observe_latency=self._latency.labels(camera.id).observe,
            lane=self.schedulers.lane(camera.id, detector),
        )  # fmt: skip
        if camera.is_live:
            self.monitors[camera.id] = OfflineMonitor(
                camera, device_id=self.config.device_id, started=datetime.now(UTC)
            )

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether every camera streams (or finished) and every thread runs, and the /healthz body."""
        healthy, body = health_report(self.sources, self.outbox, self.publisher, self.supervisor)
        if self.clips is not None:
            body["clips"] = self.clips.health()
        if self.centre is not None:
            current = self.centre.current
            body["config"] = {
                "source": "centre", "version": None if current is None else current.version,
                "started_on_cache": self.centre.cached_start,
            }  # fmt: skip
        body["scheduler"] = self.schedulers.health()
        return healthy, body

    def run(self, *, once: bool) -> RunSummary:
        """Process until stopped (or, with `once`, until every file is read), then drain the outbox."""
        self.supervisor.start()
        self.publisher.start()
        if self.clips is not None:
            self.clips.start()
        if self.http is not None:
            self.http.start()
        for monitor in self.monitors.values():
            monitor.started = datetime.now(UTC)
        for camera_id in list(self.sources):
            self.supervisor.spawn(camera_thread(camera_id), functools.partial(self.camera_loop, camera_id))
        if self.sensors is not None:
            self.sensors.start()
        self._start_side_threads()
        trimmer = MemoryTrimmer(self.config.malloc_trim_s)
        while not self._stop.is_set() and (
            not once or self.supervisor.active(list(map(camera_thread, self.sources)))
        ):
            self._check_offline()
            self._apply_pending()
            trimmer.maybe_trim()
            self._stop.wait(0.5)
        self._stop.set()
        if self.heartbeat is not None:
            self.supervisor.release("heartbeat")
        self._stop_cameras([camera_thread(camera_id) for camera_id in self.sources])
        self.schedulers.close()
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
        self.supervisor.stop()
        return self._summary(drained)

    def _start_side_threads(self) -> None:
        """The heartbeat, the centre's configuration and the snapshots, when configured."""
        if self.heartbeat is not None:
            self.supervisor.spawn("heartbeat", self.heartbeat.run)
        if self.centre is not None:
            self.supervisor.spawn(
                "centre-config", functools.partial(self.centre.run, self._stop, self.submit)
            )
        if self.snapshots is not None:
            self.supervisor.spawn("snapshots", functools.partial(self.snapshots.run, self._stop))

    def _stop_cameras(self, names: list[str]) -> None:
        for name in names:
            self.supervisor.release(name)
        for source in self.sources.values():
            source.close()
        for name in names:
            self.supervisor.join(name, 10)

    def _summary(self, drained: bool) -> RunSummary:
        pending, parked = self.outbox.depth(), self.outbox.parked()
        self.outbox.close()
        stats = {camera_id: pipeline.stats for camera_id, pipeline in self.pipelines.items()}
        failed = {
            camera_id: source.health().last_error
            for camera_id, source in self.sources.items()
            if source.state is SourceState.FAILED
        }
        return RunSummary(stats, self.publisher.stats.sent, pending, drained, parked, failed)

    def stop(self) -> None:
        """Ask the worker to finish (signal handlers call this)."""
        self._stop.set()

    def submit(self, config: EdgeConfig) -> None:
        """A new configuration to apply (from any thread); the run loop applies the newest one given."""
        with self._pending_lock:
            self._pending = config

    def replace_wvp(self) -> None:
        """A new wvp client for the new wvp section (the cameras read through it are restarted)."""
        if self.wvp is not None:
            self.wvp.close()
        self.wvp = _wvp_client(self.config)

    def replace_sensors(self) -> None:
        """Stop the sensor worker and start one for the current sensors and broker."""
        if self.sensors is not None:
            self.sensors.stop()
            self.sensors.forget()
        self.sensors = self.collector.sensors = _sensor_worker(
            self.config, self.outbox, self.publisher, self.supervisor
        )
        if self.sensors is not None:
            self.sensors.start()

    def _apply_pending(self) -> None:
        with self._pending_lock:
            config, self._pending = self._pending, None
        if config is not None:
            try:
                apply_config(self, config)
            except Exception:  # a version that cannot be applied must not end the box
                logger.exception("applying the new configuration failed; the cameras above keep running")

    def _check_offline(self) -> None:
        now = datetime.now(UTC)
        for camera_id, monitor in self.monitors.items():
            for alert in monitor.check(self.sources[camera_id].health(), now):
                self.outbox.put(alert)
                self.publisher.notify()

    def camera_loop(self, camera_id: str) -> None:
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
                if self.snapshots is not None:
                    self.snapshots.offer(camera_id, frame.image)
                try:
                    alerts = pipeline.process(frame)
                    if alerts:
                        self.publisher.notify()
                    if recorder is not None:
                        recorder.on_frame(frame, pipeline.track_ids)
                        recorder.on_alerts(alerts, frame)
                except Exception:  # one bad frame must not end the camera
                    pipeline.stats.errors += 1
                    logger.exception("camera %s: frame %d failed", camera_id, frame.index)
                del frame  # not held while waiting for the next one (~1 MB per camera at 768x432)
        except IngestError as exc:
            logger.error("camera %s stopped: %s", camera_id, exc)


def _sensor_worker(
    config: EdgeConfig, outbox: Outbox, publisher: Publisher, supervisor: Supervisor
) -> SensorWorker | None:
    """MQTT feed → sensor rules → the same outbox, when the config lists sensors."""
    if not config.sensors or config.mqtt is None:
        return None
    return SensorWorker(
        config.device_id, config.mqtt, config.sensors, data_dir=config.data_dir, outbox=outbox,
        notify=publisher.notify, supervisor=supervisor,
    )  # fmt: skip


def _edge_clips(config: EdgeConfig, supervisor: Supervisor) -> EdgeClips | None:
    """Pre-roll and clips for every camera, when clips are enabled and there are cameras."""
    if not config.clips.enabled or not config.cameras:
        return None
    specs = [camera_spec(camera) for camera in config.cameras]
    return EdgeClips(
        config.clips, api=config.api, data_dir=config.data_dir, cameras=specs, supervisor=supervisor
    )


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
    source_config = VideoSourceConfig.of(camera.source, id=camera.id, url=url, located=locator is not None)
    return VideoSource(source_config, locator)
