"""Health and Prometheus metrics of the edge worker, served over plain HTTP.

`/healthz` answers JSON with each camera's source state, the outbox depth and the publisher's
counters: 200 when every camera is streaming (or a file has finished) and 503 otherwise.
`/metrics` is the Prometheus text format, read from the worker's counters at scrape time.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel, ConfigDict, Field

from ingest import SourceState

if TYPE_CHECKING:  # edge.config imports HttpConfig from here; the pipeline imports edge.config
    from edge.outbox import Outbox
    from edge.pipeline import CameraPipeline
    from edge.publisher import Publisher
    from edge.sensors.worker import SensorWorker
    from ingest import VideoSource

logger = logging.getLogger(__name__)

HEALTHY = {SourceState.STREAMING, SourceState.FINISHED}
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5)


class HttpConfig(BaseModel):
    """Where the worker serves /healthz and /metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", description="Address to listen on")
    port: int = Field(default=9108, ge=0, le=65535, description="Port; 0 turns the endpoint off")


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
        sensors: SensorWorker | None = None,
    ) -> None:
        self.sources, self.pipelines, self.outbox, self.publisher = sources, pipelines, outbox, publisher
        self.sensors = sensors

    def collect(self) -> Iterator[Any]:
        """Metric families from the current counters."""
        yield from self._camera_counters()
        yield from self._filter_counters()
        yield from self._sensor_counters()
        states = GaugeMetricFamily(
            "gridwatch_edge_source_state", "1 for the source's current state", labels=["camera", "state"]
        )
        for camera_id, source in self.sources.items():
            for state in SourceState:
                states.add_metric([camera_id, state.value], 1.0 if source.state is state else 0.0)
        yield states
        yield GaugeMetricFamily(
            "gridwatch_edge_outbox_depth", "Alerts queued, not delivered yet", value=self.outbox.depth()
        )
        yield CounterMetricFamily(
            "gridwatch_edge_outbox_dropped",
            "Low/medium alerts dropped: outbox full",
            value=self.outbox.dropped(),
        )
        for name, value in (("sent", self.publisher.stats.sent), ("failed", self.publisher.stats.failed),
                            ("retried", self.publisher.stats.retried)):  # fmt: skip
            yield CounterMetricFamily(
                f"gridwatch_edge_alerts_{name}", f"Alerts {name} by the publisher", value=value
            )

    def _filter_counters(self) -> Iterator[CounterMetricFamily]:
        filtered = CounterMetricFamily(
            "gridwatch_edge_objects_filtered",
            "Detections that would have counted, dropped by the camera's object filters",
            labels=["camera", "class", "reason"],
        )
        for camera_id, pipeline in self.pipelines.items():
            for (name, reason), count in sorted(pipeline.filters.filtered.items()):
                filtered.add_metric([camera_id, name, reason], count)
        yield filtered

    def _sensor_counters(self) -> Iterator[CounterMetricFamily]:
        if self.sensors is None:
            return
        stats = self.sensors.feed.stats
        values = {
            "messages": (stats.messages, "MQTT messages received from sensors"),
            "readings": (stats.readings, "Sensor readings parsed and handed to the rules"),
            "dead_letters": (stats.dead_letters, "Sensor messages that did not parse (dead-lettered)"),
            "handler_errors": (stats.handler_errors, "Readings whose rules raised an error"),
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
            "frames_dropped": "Frames dropped because the pipeline was behind",
            "alerts_raised": "Alerts raised by the rules",
        }
        metrics = {
            name: CounterMetricFamily(f"gridwatch_edge_{name}", text, labels=["camera"])
            for name, text in families.items()
        }
        for camera_id, pipeline in self.pipelines.items():
            health, stats = self.sources[camera_id].health(), pipeline.stats
            values = {
                "frames_read": health.frames_read, "frames_processed": stats.frames,
                "frames_detected": stats.detector_calls, "frames_gated": stats.gated,
                "regions_detected": stats.regions,
                "frames_dropped": health.frames_dropped, "alerts_raised": stats.alerts,
            }  # fmt: skip
            for name, value in values.items():
                metrics[name].add_metric([camera_id], value)
        yield from metrics.values()


def health_report(
    sources: dict[str, VideoSource], outbox: Outbox, publisher: Publisher
) -> tuple[bool, dict[str, Any]]:
    """Whether the box is healthy, and the JSON body of /healthz."""
    cameras = {camera_id: source.health() for camera_id, source in sources.items()}
    healthy = all(h.state in HEALTHY for h in cameras.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "cameras": {
            camera_id: {
                "state": h.state.value,
                "since": h.since.isoformat(),
                "reconnects": h.reconnects,
                "last_error": h.last_error,
            }
            for camera_id, h in cameras.items()
        },
        "outbox_depth": outbox.depth(),
        "outbox_dropped": outbox.dropped(),
        "alerts": {
            "sent": publisher.stats.sent,
            "failed": publisher.stats.failed,
            "retried": publisher.stats.retried,
        },
    }
    return healthy, body


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
