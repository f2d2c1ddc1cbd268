"""Prometheus metrics of the clips: queue states, pre-roll memory per camera, delivery counters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from edge.clips import EdgeClips


class ClipsCollector(Collector):
    """Reads the clips' state when Prometheus scrapes the worker's /metrics."""

    def __init__(self, clips: EdgeClips) -> None:
        self.clips = clips

    def collect(self) -> Iterator[Any]:
        """Metric families from the current state and counters."""
        states = GaugeMetricFamily("gridwatch_edge_clips", "Clips in the queue, by state", labels=["state"])
        for state, count in self.clips.queue.counts().items():
            states.add_metric([state], float(count))
        yield states
        memory = GaugeMetricFamily(
            "gridwatch_edge_clip_buffer_bytes", "Pre-roll bytes held per camera", labels=["camera", "kind"]
        )
        for camera_id, recorder in self.clips.recorders.items():
            memory.add_metric([camera_id, recorder.buffer], float(recorder.buffered_bytes))
        yield memory
        sender, finisher = self.clips.sender.stats, self.clips.finisher
        for name, help_text, value in (
            ("gridwatch_edge_clips_sent", "Clips the centre holds whole", sender.sent),
            ("gridwatch_edge_clip_bytes_sent", "Clip bytes sent (chunks the centre took)", sender.bytes),
            (
                "gridwatch_edge_clip_retries",
                "Clip delivery attempts that failed and will be retried",
                sender.retried,
            ),
            ("gridwatch_edge_clips_refused", "Clip deliveries the centre refused", sender.refused),
            ("gridwatch_edge_clips_dropped", "Unsent clips dropped over the disk bound", finisher.dropped),
        ):
            yield CounterMetricFamily(name, help_text, value=float(value))
