"""Health and Prometheus metrics of the edge worker, served over plain HTTP.

`/healthz` answers JSON with each camera's source state, each supervised thread's state, the
outbox (depth, parked alerts with their reasons, drops) and the publisher's counters: 200 when every
camera is streaming (or a file has finished) and every supervised thread runs, 503 otherwise, with
`down` naming the threads that are down. Parked alerts are listed but do not make the box unhealthy
(they wait for an operator: `gridwatch edge outbox list`). `/metrics` is the Prometheus text format,
read from the worker's counters at scrape time.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from edge.config import HttpConfig
from edge.outbox import AlertState, Outbox
from edge.pipeline import CameraPipeline
from edge.publisher import Publisher
from edge.sensors.worker import SensorWorker
from edge.supervisor import Supervisor, ThreadHealth, ThreadState
from ingest import SourceState, VideoSource

logger = logging.getLogger(__name__)

HEALTHY = {SourceState.STREAMING, SourceState.FINISHED}
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5)
PARKED_SHOWN = 20
"""Parked alerts listed in /healthz (all of them: `gridwatch edge outbox list`)."""


def detector_latency(registry: CollectorRegistry) -> Histogram:
    """The detector latency histogram, labelled by camera."""
    return Histogram(
        "gridwatch_edge_detector_seconds", "Detector latency per call", ["camera"],
        buckets=LATENCY_BUCKETS, registry=registry,
    )  # fmt: skip


class EdgeCollector(Collector):
    """Reads the worker's counters when Prometheus scrapes."""

    def __init__(
        self,
        sources: dict[str, VideoSource],
        pipelines: dict[str, CameraPipeline],
        outbox: Outbox,
        publisher: Publisher,
        *,
        supervisor: Supervisor,
        sensors: SensorWorker | None = None,
    ) -> None:
        self.sources, self.pipelines, self.outbox, self.publisher = sources, pipelines, outbox, publisher
        self.supervisor = supervisor
        self.sensors = sensors

    def collect(self) -> Iterator[Any]:
        """Metric families from the current counters."""
        yield from self._camera_counters()
        yield from self._filter_counters()
        yield from self._sensor_counters()
        yield from self._thread_metrics()
        states = GaugeMetricFamily(
            "gridwatch_edge_source_state", "1 for the source's current state", labels=["camera", "state"]
        )
        for camera_id, source in list(self.sources.items()):
            for state in SourceState:
                states.add_metric([camera_id, state.value], 1.0 if source.state is state else 0.0)
        yield states
        yield GaugeMetricFamily(
            "gridwatch_edge_outbox_depth", "Alerts queued, not delivered yet", value=self.outbox.depth()
        )
        yield GaugeMetricFamily(
            "gridwatch_edge_outbox_parked",
            "Alerts the centre refused for good, waiting for an operator",
            value=self.outbox.parked(),
        )
        yield CounterMetricFamily(
            "gridwatch_edge_outbox_dropped",
            "Alerts dropped: outbox full (low/medium), or by an operator",
            value=self.outbox.dropped(),
        )
        stats = self.publisher.stats
        for name, value in (("sent", stats.sent), ("failed", stats.failed), ("retried", stats.retried),
                            ("parked", stats.parked)):  # fmt: skip
            yield CounterMetricFamily(
                f"gridwatch_edge_alerts_{name}", f"Alerts {name} by the publisher", value=value
            )

    def _filter_counters(self) -> Iterator[CounterMetricFamily]:
        filtered = CounterMetricFamily(
            "gridwatch_edge_objects_filtered",
            "Detections that would have counted, dropped by the camera's object filters",
            labels=["camera", "class", "reason"],
        )
        for camera_id, pipeline in list(self.pipelines.items()):
            for (name, reason), count in sorted(pipeline.filters.filtered.items()):
                filtered.add_metric([camera_id, name, reason], count)
        yield filtered

    def _thread_metrics(self) -> Iterator[Any]:
        up = GaugeMetricFamily(
            "gridwatch_edge_thread_up", "1 while a supervised thread runs", labels=["thread"]
        )
        restarts = CounterMetricFamily(
            "gridwatch_edge_thread_restarts", "Restarts of a supervised thread that died", labels=["thread"]
        )
        for name, thread in self.supervisor.health().items():
            up.add_metric([name], 0.0 if thread.state is ThreadState.DOWN else 1.0)
            restarts.add_metric([name], thread.restarts)
        yield up
        yield restarts

    def _sensor_counters(self) -> Iterator[CounterMetricFamily]:
        if self.sensors is None:
            return
        stats = self.sensors.feed.stats
        values = {
            "messages": (stats.messages, "MQTT messages received from sensors"),
            "readings": (stats.readings, "Sensor readings parsed and handed to the rules"),
            "dead_letters": (stats.dead_letters, "Sensor messages that did not parse (dead-lettered)"),
            "handler_errors": (stats.handler_errors, "Readings whose rules raised an error (dead-lettered)"),
            "message_errors": (stats.message_errors, "Messages that broke the feed itself (dead-lettered)"),
            "silence_errors": (self.sensors.silence_errors, "Sensor silence checks that raised (logged)"),
            "connects": (stats.connects, "Connections to the MQTT broker"),
            "alerts": (self.sensors.alerts, "Alerts raised by the sensor rules"),
        }
        for name, (value, text) in values.items():
            yield CounterMetricFamily(f"gridwatch_edge_sensor_{name}", text, value=value)

    def _camera_counters(self) -> Iterator[CounterMetricFamily]:
        families = {
            "frames_read": "Frames read from the source (before decimation)",
            "frames_processed": "Frames taken through the pipeline (after decimation)",
            "frames_detected": "Frames sent to the detector",
            "frames_gated": "Frames skipped by the motion gate",
            "regions_detected": "Motion-region crops sent to the detector (besides whole frames)",
            "frames_dropped": "Kept frames dropped unprocessed: a newer frame of the camera came before "
            "the pipeline took them (newest wins)",
            "alerts_raised": "Alerts raised by the rules",
            "frame_errors": "Frames whose processing raised an error (logged, skipped)",
        }
        metrics = {
            name: CounterMetricFamily(f"gridwatch_edge_{name}", text, labels=["camera"])
            for name, text in families.items()
        }
        sources = dict(self.sources)  # a copy: cameras come and go while running (edge.apply)
        for camera_id, pipeline in list(self.pipelines.items()):
            if camera_id not in sources:
                continue
            health, stats = sources[camera_id].health(), pipeline.stats
            values = {
                "frames_read": health.frames_read, "frames_processed": stats.frames,
                "frames_detected": stats.detector_calls, "frames_gated": stats.gated,
                "regions_detected": stats.regions,
                "frames_dropped": health.frames_dropped, "alerts_raised": stats.alerts,
                "frame_errors": stats.errors,
            }  # fmt: skip
            for name, value in values.items():
                metrics[name].add_metric([camera_id], value)
        yield from metrics.values()


def health_report(
    sources: dict[str, VideoSource], outbox: Outbox, publisher: Publisher, supervisor: Supervisor
) -> tuple[bool, dict[str, Any]]:
    """Whether the box is healthy, and the JSON body of /healthz.

    Unhealthy when a camera is not streaming (or finished), a supervised thread is down, or the
    outbox cannot be read (`outbox_error` says why).
    """
    cameras = {camera_id: source.health() for camera_id, source in list(sources.items())}
    down = supervisor.down()
    queue = _outbox(outbox)
    healthy = all(h.state in HEALTHY for h in cameras.values()) and not down and "outbox_error" not in queue
    body = {
        "status": "ok" if healthy else "degraded",
        "cameras": {
            camera_id: {
                "state": h.state.value,
                "since": h.since.isoformat(),
                "reconnects": h.reconnects,
                "frames": h.frames_read,
                "frames_dropped": h.frames_dropped,
                "last_error": h.last_error,
            }
            for camera_id, h in cameras.items()
        },
        "threads": {name: _thread(t) for name, t in supervisor.health().items()},
        "down": down,
        **queue,
        "alerts": {
            "sent": publisher.stats.sent,
            "failed": publisher.stats.failed,
            "retried": publisher.stats.retried,
            "parked": publisher.stats.parked,
        },
    }
    return healthy, body


def _thread(thread: ThreadHealth) -> dict[str, Any]:
    return {
        "state": thread.state.value,
        "since": thread.since.isoformat(),
        "restarts": thread.restarts,
        "last_error": thread.last_error,
    }


def _outbox(outbox: Outbox) -> dict[str, Any]:
    """Depth, parked alerts (the first PARKED_SHOWN with their reasons) and drops; or the error."""
    try:
        parked = outbox.entries(state=AlertState.PARKED, limit=PARKED_SHOWN)
        return {
            "outbox_depth": outbox.depth(),
            "outbox_parked": outbox.parked(),
            "outbox_dropped": outbox.dropped(),
            "parked": [
                {"alert_id": e.alert_id, "kind": e.kind, "attempts": e.attempts, "reason": e.reason}
                for e in parked
            ],
        }
    except sqlite3.Error as exc:
        return {"outbox_error": f"cannot read the outbox {outbox.path}: {exc}"}


class HealthServer:
    """A small threaded HTTP server for /healthz and /metrics."""

    def __init__(
        self,
        config: HttpConfig,
        registry: CollectorRegistry,
        health: Callable[[], tuple[bool, dict[str, Any]]],
    ) -> None:
        self.config = config
        self._handler = _handler(registry, health)
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        """Bind and serve in the background."""
        self._server = ThreadingHTTPServer((self.config.host, self.config.port), self._handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="health-http", daemon=True).start()
        logger.info("edge health and metrics on http://%s:%d", self.config.host, self.config.port)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _handler(
    registry: CollectorRegistry, health: Callable[[], tuple[bool, dict[str, Any]]]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                self._answer()
            except Exception as exc:  # an answer naming the error, never a dropped connection
                logger.exception("health http: %s failed", self.path)
                self._send(
                    500, json.dumps({"detail": f"{type(exc).__name__}: {exc}"}).encode(), "application/json"
                )

        def _answer(self) -> None:
            if self.path == "/metrics":
                self._send(200, generate_latest(registry), "text/plain; version=0.0.4")
            elif self.path == "/healthz":
                healthy, body = health()
                self._send(200 if healthy else 503, json.dumps(body).encode(), "application/json")
            else:
                self._send(404, b'{"detail": "not found"}', "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # the stdlib's signature
            logger.debug("health http: %s", format % args)

    return Handler
