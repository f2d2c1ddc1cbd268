"""One capacity trial in a clean process: N cameras replaying the shared clips at their real rate.

Each camera runs gate → detector → tracker → rules → outbox on its own thread at 5 detect-fps, all
on one shared onnxruntime session, with the inference scheduler on or off (`off`: every camera runs
the model itself, the behaviour before the scheduler). The cameras of a clip start at points spread
over it (`--in-step`: all at its beginning, so that every detector is busy at the same moments).
`bench/pipeline.py` starts one of these per camera count and mode, so that no trial inherits
another's heap. Prints one JSON line: whether the cameras kept up, processed fps per camera, RSS
(median and peak over the window's second half) and threads, frame → outbox
latency percentiles (from the moment the camera delivered the frame to the moment its alerts would
be in the outbox: the end of `process`), process CPU per processed frame, scheduler drops, and the
stale frames each source dropped (newest wins, `--drop-stale`). With `--centre`, a real `Publisher`
sends the alerts to that centre and the trial also reports frame → centre latency: from the frame's
delivery to the centre's acknowledgement that the alert is stored (its 2xx; `delivered_at` in the
outbox), over every alert raised in the window.

    python -m bench.pipeline_live --streams 8 --scheduler on [--window 20] [--trim-s 0] \
        [--decoder-threads 1] [--cpu-arena off] [--drop-stale auto] [--in-step] [--centre URL --token TOKEN]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.pipeline import CAMERAS as CLIPS_RULES
from bench.pipeline import camera, rss_mb, source
from detectors import Detector
from detectors.config import SchedulerConfig
from edge.config import ApiConfig, CameraConfig
from edge.memory import MemoryTrimmer
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline
from edge.publisher import Publisher
from edge.scheduling import Schedulers
from ingest import Frame
from ingest.capture import file_seconds


@dataclass
class StreamResult:
    """How one live-replayed camera kept up."""

    processed: int = 0
    lag_s: float = 0.0
    lag_mid_s: float = 0.0
    stale_dropped: int = 0
    """Kept frames the source dropped because a newer one came before the camera took them."""
    latencies: list[float] = field(default_factory=list)
    alerts: dict[str, float] = field(default_factory=dict)
    """Alert id → when the frame that raised it was delivered (epoch seconds)."""


def cpu_s() -> float:
    """User + system CPU of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def threads_now() -> int:
    """Threads of this process."""
    return len(os.listdir("/proc/self/task"))


@dataclass(frozen=True)
class Mode:
    """What a trial runs with."""

    scheduler: bool
    decoder_threads: int
    cpu_arena: bool
    trim_s: float
    max_batch: int | None = None
    max_concurrent: int | None = None
    drop_stale: bool | None = None
    """Newest frame wins between reader and camera loop (None: the default, on for replayed files)."""


@dataclass(frozen=True)
class CentreTarget:
    """Where the trial's publisher sends its alerts."""

    url: str
    token: str


START_MARGIN_S = 5.0
"""Seconds of a clip left after the window, beyond the start-up, when choosing start points."""


def cameras(streams: int, mode: Mode, window_s: float, *, in_step: bool = False) -> list[CameraConfig]:
    """N cameras on the two clips, alternately, with the mode's decoder threads and arena setting.

    The cameras of a clip start at points spread evenly over its first `length - window - margin`
    seconds, as the cameras of a cluster do not all see motion at the same moment; `in_step` starts
    them all at the clip's beginning (every camera's detector busy at once, then all idle)."""
    clips = list(CLIPS_RULES)
    per_clip = [len(range(c, streams, len(clips))) for c in range(len(clips))]
    out = []
    for k in range(streams):
        clip, nth = k % len(clips), k // len(clips)
        cam = camera(clips[clip], k, gate=True, realtime=True)
        room = 0.0 if in_step else max(0.0, clip_seconds(cam.url) - window_s - START_MARGIN_S)
        detector = cam.detector.model_copy(update={"cpu_arena": mode.cpu_arena})
        source = cam.source.model_copy(
            update={"decoder_threads": mode.decoder_threads, "start_s": round(room * nth / per_clip[clip], 2)}
        )
        out.append(cam.model_copy(update={"source": source, "detector": detector}))
    return out


def clip_seconds(path: str | None) -> float:
    """Length of a video file in seconds."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        return file_seconds(capture)
    finally:
        capture.release()


def trial(
    streams: int,
    window_s: float,
    mode: Mode,
    outdir: Path,
    centre: CentreTarget | None = None,
    *,
    in_step: bool = False,
) -> dict[str, object]:
    """Run N cameras for `window_s` and measure them."""
    cams = cameras(streams, mode, window_s, in_step=in_step)
    outbox = Outbox(outdir / "outbox.db")
    schedulers = Schedulers(
        SchedulerConfig(enabled=mode.scheduler, max_batch=mode.max_batch, max_concurrent=mode.max_concurrent)
    )
    pipelines = []
    for cam in cams:
        detector = Detector.from_config(cam.detector)
        lane = schedulers.lane(cam.id, detector)
        pipelines.append(CameraPipeline(cam, detector, device_id="bench", outbox=outbox, lane=lane))
    publisher = None if centre is None else Publisher(outbox, ApiConfig(url=centre.url, token=centre.token))
    if publisher is not None:
        publisher.start()
    results = [StreamResult() for _ in cams]
    stop = threading.Event()

    def run(k: int) -> None:
        with source(cams[k], drop_stale=mode.drop_stale) as video:
            try:
                replay(video.frames(), pipelines[k], results[k], publisher, stop)
            finally:
                results[k].stale_dropped = video.health().frames_dropped

    base_threads, cpu_start = threads_now(), cpu_s()
    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(streams)]
    for thread in threads:
        thread.start()
    rss_samples = watch(results, window_s, MemoryTrimmer(mode.trim_s))
    threads_used, cpu = threads_now() - base_threads, cpu_s() - cpu_start
    processed = sum(r.processed for r in results)
    stop.set()
    for thread in threads:
        thread.join(30)
    schedulers.close()
    centre_figures = {} if publisher is None else delivered(publisher, outbox, results)
    fps = [r.processed / window_s for r in results]
    rate_ok = min(fps) >= 0.95 * 5 * (window_s - 1.0) / window_s  # minus the first second's start-up
    lag_ok = all(r.lag_s < 2.0 or r.lag_s < r.lag_mid_s + 0.5 for r in results)
    latencies = np.asarray([s for r in results for s in r.latencies[5:]])  # past each camera's start-up
    drops = sum(p.stats.dropped for p in pipelines)
    return {
        "streams": streams, **vars(mode), "kept_up": rate_ok and lag_ok,
        "fps_per_stream": round(sum(fps) / len(fps), 2), "rss_mb": round(float(np.median(rss_samples)), 1),
        "rss_peak_mb": round(max(rss_samples), 1), "threads": threads_used, "in_step": in_step,
        "latency_p50_s": percentile(latencies, 50), "latency_p99_s": percentile(latencies, 99),
        "cpu_ms_per_frame": round(1000 * cpu / max(1, processed), 2), "cpu_cores": round(cpu / window_s, 2),
        "dropped": drops, "stale_dropped": sum(r.stale_dropped for r in results), **centre_figures,
    }  # fmt: skip


def replay(
    frames: Iterator[Frame],
    pipeline: CameraPipeline,
    result: StreamResult,
    publisher: Publisher | None,
    stop: threading.Event,
) -> None:
    """One camera's loop: process each frame, note its latency, lag and alerts, until `stop`."""
    start = time.monotonic()
    for frame in frames:
        alerts = pipeline.process(frame)
        result.latencies.append((datetime.now(UTC) - frame.captured_at).total_seconds())
        result.processed += 1
        result.lag_s = (time.monotonic() - start) - frame.pts
        if alerts and publisher is not None:
            result.alerts.update((alert.alert_id, frame.captured_at.timestamp()) for alert in alerts)
            publisher.notify()
        del frame  # as the edge worker's camera loop: not held while waiting for the next frame
        if stop.is_set():
            return


RSS_EVERY_S = 0.5


def watch(results: list[StreamResult], window_s: float, trimmer: MemoryTrimmer) -> list[float]:
    """Wait out the window: note every camera's lag at its middle, trim memory as configured; the
    process's RSS (MB) every `RSS_EVERY_S` over the window's second half (one reading would land at
    any point of the trimming cycle: the median of these is the trial's RSS)."""
    started = time.monotonic()
    samples: list[float] = []
    next_sample = started + window_s / 2
    while time.monotonic() - started < window_s:
        if time.monotonic() - started >= window_s / 2 and results[0].lag_mid_s == 0.0:
            for result in results:
                result.lag_mid_s = result.lag_s
        trimmer.maybe_trim()
        if time.monotonic() >= next_sample:
            samples.append(rss_mb())
            next_sample += RSS_EVERY_S
        time.sleep(0.1)
    return samples or [rss_mb()]


DRAIN_S = 60.0
"""Longest wait, after the window, for the centre to acknowledge the alerts still queued."""


def delivered(publisher: Publisher, outbox: Outbox, results: list[StreamResult]) -> dict[str, object]:
    """Frame → centre latency of every alert raised: its frame's delivery to the centre's 2xx."""
    publisher.stop(DRAIN_S)
    raised = {alert_id: at for result in results for alert_id, at in result.alerts.items()}
    with sqlite3.connect(outbox.path) as db:
        acked = dict(db.execute("SELECT alert_id, delivered_at FROM outbox WHERE delivered_at IS NOT NULL"))
    outbox.close()
    seconds = np.asarray([acked[alert_id] - at for alert_id, at in raised.items() if alert_id in acked])
    return {
        "centre_alerts": len(raised), "centre_delivered": len(seconds),
        "centre_latency_p50_s": percentile(seconds, 50), "centre_latency_p99_s": percentile(seconds, 99),
    }  # fmt: skip


def percentile(values: np.ndarray[Any, Any], q: float) -> float | None:
    """The q-th percentile, rounded to ms; None for no values."""
    return round(float(np.percentile(values, q)), 3) if len(values) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, required=True)
    parser.add_argument("--scheduler", choices=["on", "off"], required=True)
    parser.add_argument("--window", type=float, default=20.0, help="seconds of the trial")
    parser.add_argument("--trim-s", type=float, default=0.0, help="malloc_trim every this many s (0: never)")
    parser.add_argument("--decoder-threads", type=int, default=1, help="FFmpeg threads per capture (0: auto)")
    parser.add_argument("--cpu-arena", choices=["on", "off"], default="off", help="onnxruntime's CPU arena")
    parser.add_argument("--max-batch", type=int, default=None, help="scheduler: images per run")
    parser.add_argument("--max-concurrent", type=int, default=None, help="scheduler: runs at once")
    parser.add_argument(
        "--drop-stale", choices=["auto", "on", "off"], default="auto",
        help="newest frame wins between reader and camera loop (auto: the default, on for replayed files)",
    )  # fmt: skip
    parser.add_argument(
        "--in-step", action="store_true", help="start every camera at its clip's beginning (default: spread)"
    )
    parser.add_argument("--centre", default=None, help="base URL of a centre to send the alerts to")
    parser.add_argument("--token", default="", help="the bench box's device token at that centre")
    args = parser.parse_args()
    mode = Mode(
        args.scheduler == "on", args.decoder_threads, args.cpu_arena == "on", args.trim_s, args.max_batch,
        args.max_concurrent, {"auto": None, "on": True, "off": False}[args.drop_stale],
    )  # fmt: skip
    centre = None if args.centre is None else CentreTarget(args.centre, args.token)
    with tempfile.TemporaryDirectory() as tmp:
        result = trial(args.streams, args.window, mode, Path(tmp), centre, in_step=args.in_step)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
