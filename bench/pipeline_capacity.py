"""Capacity of the edge pipeline, each trial in a clean subprocess (`bench.pipeline_live`).

Modes are compared in the same run, their trials interleaved so that the load of this shared
machine falls on all alike (see `MODES`). Per mode the camera count goes 1, 4, 8, 12, ... until a
trial falls behind, then one by one from the last count that kept up. Marginal memory and threads
per camera are the slopes of a least-squares line through every trial of the mode (RSS and threads
against the camera count). Then, with `centre`, each mode runs once more at its capacity with its
alerts sent to a real centre (`bench.pipeline_centre`) for frame → centre latency; the centre is kept
out of the search, whose trials would otherwise share the machine with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.pipeline_centre import Centre

ROOT = Path(__file__).resolve().parents[1]
MODES: dict[str, list[str]] = {
    "before": ["--scheduler", "off", "--decoder-threads", "0", "--cpu-arena", "on", "--drop-stale", "off"],
    "on": ["--scheduler", "on", "--trim-s", "5"],
    "on-queued": ["--scheduler", "on", "--trim-s", "5", "--drop-stale", "off"],
    "off": ["--scheduler", "off", "--trim-s", "5"],
    "on-notrim": ["--scheduler", "on"],
    "on-batch8": ["--scheduler", "on", "--trim-s", "5", "--max-batch", "8"],
}
"""Mode name → options of `bench.pipeline_live`: `before` is the behaviour before issue 20 (each camera
runs the model, FFmpeg's own decoder threads, onnxruntime's CPU arena, no trimming, a replayed file's
frames queued for the camera loop); `on` today's defaults (scheduler, one decoder thread, no arena,
malloc_trim every 5 s, newest frame wins); `off` today's defaults with the scheduler off; `on-notrim`
today's defaults without trimming; `on-queued` today's defaults with the frames queued as before."""
TRIAL_KEYS = (
    "streams", "kept_up", "fps_per_stream", "rss_mb", "rss_peak_mb", "threads", "latency_p50_s",
    "latency_p99_s", "cpu_ms_per_frame", "cpu_cores", "dropped", "stale_dropped",
)  # fmt: skip
LATENCY_TARGET_S = 1.0
"""Issue 20's target for the p99 frame → outbox latency at capacity: `max_streams_5fps_p99_1s` is the
most cameras of a trial that kept up with its p99 within it (the rate alone hides a growing queue)."""
CENTRE_KEYS = (
    "streams", "kept_up", "fps_per_stream", "latency_p50_s", "latency_p99_s", "stale_dropped",
    "centre_alerts", "centre_delivered", "centre_latency_p50_s", "centre_latency_p99_s",
)  # fmt: skip


def run_trial(
    streams: int, mode: str, window_s: float, centre: Centre | None = None, *, in_step: bool = False
) -> dict[str, Any]:
    """One trial in a fresh interpreter (sending its alerts to `centre`, if given; every camera at its
    clip's beginning with `in_step`); its JSON line."""
    command = [
        sys.executable, "-m", "bench.pipeline_live", "--streams", str(streams), "--window", str(window_s),
        *MODES[mode], *(["--in-step"] if in_step else []),
    ]  # fmt: skip
    if centre is not None:
        command += ["--centre", centre.url, "--token", centre.token]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, cwd=ROOT, env=env, timeout=window_s + 300
    )
    if done.returncode != 0:
        raise RuntimeError(f"trial {mode} × {streams} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["mode"] = mode
    print(json.dumps(result), flush=True)
    return result


@dataclass
class Search:
    """One mode's way up: counts tried, the best that kept up, the step."""

    mode: str
    most: int
    trials: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None
    next_n: int | None = 1
    step: int = 4

    def record(self, result: dict[str, Any]) -> None:
        """Take a trial's result and choose the next count (None: done)."""
        self.trials.append(result)
        n = result["streams"]
        if result["kept_up"]:
            self.best = result
            nxt = 4 if n == 1 else n + self.step
        elif self.step > 1 and self.best is not None and n > self.best["streams"] + 1:
            self.step = 1
            nxt = self.best["streams"] + 1
        else:
            nxt = None
        self.next_n = nxt if nxt is not None and nxt <= self.most else None


def slope(trials: list[dict[str, Any]], key: str) -> float | None:
    """Least-squares slope of `key` against the camera count (None with fewer than two counts)."""
    counts = np.asarray([t["streams"] for t in trials], dtype=float)
    if len(set(counts.tolist())) < 2:
        return None
    values = np.asarray([t[key] for t in trials], dtype=float)
    return float(np.polyfit(counts, values, 1)[0])


def summary(search: Search) -> dict[str, Any]:
    """The mode's figures: capacity and p99 there, marginal MB and threads per camera, CPU per frame."""
    best = search.best or {}
    per_mb, per_thread = slope(search.trials, "rss_mb"), slope(search.trials, "threads")
    prompt = [t["streams"] for t in search.trials if t["kept_up"] and t["latency_p99_s"] <= LATENCY_TARGET_S]
    return {
        "max_streams_5fps": best.get("streams", 0),
        "max_streams_5fps_p99_1s": max(prompt, default=0),
        "latency_p50_s_at_max": best.get("latency_p50_s"),
        "latency_p99_s_at_max": best.get("latency_p99_s"),
        "rss_mb_at_max": best.get("rss_mb"),
        "mb_per_camera": None if per_mb is None else round(per_mb, 2),
        "threads_per_camera": None if per_thread is None else round(per_thread, 2),
        "cpu_ms_per_frame_at_max": best.get("cpu_ms_per_frame"),
        "trials": [{k: t[k] for k in TRIAL_KEYS} for t in search.trials],
    }


def capacity(
    modes: list[str],
    window_s: float,
    most: int,
    extra_counts: list[int],
    centre: Path | None = None,
    *,
    in_step: bool = False,
) -> dict[str, dict[str, Any]]:
    """Every mode's search, trials interleaved, then trials at `extra_counts` not tried yet (for the
    memory and thread slopes over a wider range, whether they keep up or not); the summary of each.
    With `centre` (a folder for its database), one more trial per mode at its capacity sends the
    alerts to a real centre: `centre_at_max` in the summary."""
    searches = [Search(mode, most) for mode in modes]
    while any(s.next_n is not None for s in searches):
        for search in searches:
            if search.next_n is not None:
                search.record(run_trial(search.next_n, search.mode, window_s, in_step=in_step))
    for n in extra_counts:
        for search in searches:
            if n not in {t["streams"] for t in search.trials}:
                search.trials.append(run_trial(n, search.mode, window_s, in_step=in_step))
    summaries = {search.mode: summary(search) for search in searches}
    if centre is not None:
        at_max = {mode: figures["max_streams_5fps"] or 1 for mode, figures in summaries.items()}
        for mode, figures in centre_trials(at_max, window_s, centre, in_step=in_step).items():
            summaries[mode]["centre_at_max"] = figures
    return summaries


def centre_trials(
    counts: dict[str, int], window_s: float, folder: Path, *, in_step: bool = False
) -> dict[str, dict[str, Any]]:
    """One trial per mode at its camera count, its alerts sent to one real centre."""
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, dict[str, Any]] = {}
    with Centre(folder, cameras=max(counts.values())) as centre:
        for mode, n in counts.items():
            result = run_trial(n, mode, window_s, centre, in_step=in_step)
            figures[mode] = {key: result.get(key) for key in CENTRE_KEYS}
    return figures
