"""Capacity of the edge pipeline, each trial in a clean subprocess (`bench.pipeline_live`).

Modes are compared in the same run, their trials interleaved so that the load of this shared
machine falls on all alike (see `MODES`). Per mode the camera count goes 1, 4, 8, 12, ... until a
trial falls behind, then one by one from the last count that kept up. Marginal memory and threads
per camera are the slopes of a least-squares line through every trial of the mode (RSS and threads
against the camera count).
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

ROOT = Path(__file__).resolve().parents[1]
MODES: dict[str, list[str]] = {
    "before": ["--scheduler", "off", "--decoder-threads", "0", "--cpu-arena", "on"],
    "on": ["--scheduler", "on", "--trim-s", "5"],
    "off": ["--scheduler", "off", "--trim-s", "5"],
    "on-notrim": ["--scheduler", "on"],
    "on-batch8": ["--scheduler", "on", "--trim-s", "5", "--max-batch", "8"],
}
"""Mode name → options of `bench.pipeline_live`: `before` is the behaviour before issue 20 (each camera
runs the model, FFmpeg's own decoder threads, onnxruntime's CPU arena, no trimming); `on` today's
defaults (scheduler, one decoder thread, no arena, malloc_trim every 5 s); `off` today's defaults with
the scheduler off; `on-notrim` today's defaults without trimming."""
TRIAL_KEYS = (
    "streams", "kept_up", "fps_per_stream", "rss_mb", "threads", "latency_p50_s", "latency_p99_s",
    "cpu_ms_per_frame", "cpu_cores", "dropped",
)  # fmt: skip


def run_trial(streams: int, mode: str, window_s: float) -> dict[str, Any]:
    """One trial in a fresh interpreter; its JSON line."""
    command = [
        sys.executable, "-m", "bench.pipeline_live", "--streams", str(streams), "--window", str(window_s),
        *MODES[mode],
    ]  # fmt: skip
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
    return {
        "max_streams_5fps": best.get("streams", 0),
        "latency_p50_s_at_max": best.get("latency_p50_s"),
        "latency_p99_s_at_max": best.get("latency_p99_s"),
        "rss_mb_at_max": best.get("rss_mb"),
        "mb_per_camera": None if per_mb is None else round(per_mb, 2),
        "threads_per_camera": None if per_thread is None else round(per_thread, 2),
        "cpu_ms_per_frame_at_max": best.get("cpu_ms_per_frame"),
        "trials": [{k: t[k] for k in TRIAL_KEYS} for t in search.trials],
    }


def capacity(
    modes: list[str], window_s: float, most: int, extra_counts: list[int]
) -> dict[str, dict[str, Any]]:
    """Every mode's search, trials interleaved, then trials at `extra_counts` not tried yet (for the
    memory and thread slopes over a wider range, whether they keep up or not); the summary of each."""
    searches = [Search(mode, most) for mode in modes]
    while any(s.next_n is not None for s in searches):
        for search in searches:
            if search.next_n is not None:
                search.record(run_trial(search.next_n, search.mode, window_s))
    for n in extra_counts:
        for search in searches:
            if n not in {t["streams"] for t in search.trials}:
                search.trials.append(run_trial(n, search.mode, window_s))
    return {search.mode: summary(search) for search in searches}
