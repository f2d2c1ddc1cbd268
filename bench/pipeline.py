"""Edge pipeline throughput and capacity on the shared clips, against baselines in the same run.

(a) the full pipeline (gate → detector → tracker → rules → outbox) with the motion gate,
(b) the same without the gate, (c) the bare detector loop on the same frames (decoded beforehand).
Each runs both clips at 5 detect-fps as fast as it can; frames/s, detector calls and alert counts
are printed. Then the capacity (`bench/pipeline_capacity.py`): N cameras replaying the clips at
their real rate in parallel (5 detect-fps each, one thread per camera, one shared onnxruntime
session; the cameras of a clip start at points spread over it, `--in-step` all at its beginning),
each N in a clean subprocess, N raised until the pipeline falls behind (processed rate
< 95 % of 5 fps, or a lag behind real time that is over 2 s and still growing between the middle and
the end of the window); the behaviour before issue 20 and today's defaults (the MODES of
bench/pipeline_capacity.py), trials interleaved, with marginal MB and threads per camera,
frame → outbox latency p50/p99 and CPU per processed frame; `max_streams_5fps_p99_1s` is the most
cameras that kept up with a p99 frame → outbox latency within 1 s. Last, each mode runs once more at its
capacity with its alerts sent to a real centre (`gridwatch api serve` on 127.0.0.1, SQLite, started
here) for frame → centre latency p50/p99 (`--no-centre` skips it). Prints one JSON line at the end.

    python -m bench.pipeline [--window 20] [--max-streams 40] [--modes before,on,off,on-notrim] \
        [--memory-counts 1,8,16] [--skip-offline] [--no-centre] [--in-step]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench.pipeline_capacity import MODES, capacity
from detectors import Detector
from edge.config import CameraConfig
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline
from ingest import Frame, VideoSource, VideoSourceConfig
from models.pull import pull
from models.registry import DEFAULT_MODEL, find_model

CLIPS = Path(__file__).resolve().parents[1].parent / "shared" / "clips"
FULL_FRAME = [[0, 0], [768, 0], [768, 432], [0, 432]]
CAMERAS = {
    "one-by-one-person-detection.mp4": {
        "lines": [{"name": "exit", "start": [620, 150], "end": [620, 431]}],
        "rules": [
            {"type": "intrusion", "id": "room", "zone": "all", "classes": ["person"], "min_frames": 3},
            {"type": "line_crossing", "id": "exit", "line": "exit", "classes": ["person"]},
        ],
    },
    "car-detection.mp4": {
        "lines": [{"name": "lane", "start": [0, 216], "end": [767, 216]}],
        "rules": [
            {"type": "intrusion", "id": "lot", "zone": "all", "classes": ["vehicle"], "min_frames": 3},
            {"type": "line_crossing", "id": "lane", "line": "lane", "classes": ["vehicle"]},
        ],
    },
}


def camera(clip: str, index: int, *, gate: bool, realtime: bool = False) -> CameraConfig:
    """A camera on one shared clip with that clip's rules."""
    rules = {"zones": [{"name": "all", "points": FULL_FRAME}], **CAMERAS[clip]}
    return CameraConfig.model_validate({
        "id": f"cam-{index}", "url": str(CLIPS / clip), "location": {"lon": 118.702, "lat": 32.002},
        "detect_fps": 5, "realtime": realtime, "motion": {"enabled": gate}, "rules": rules,
    })  # fmt: skip


def source(cam: CameraConfig, *, drop_stale: bool | None = None) -> VideoSource:
    """The camera's video source at its detect rate (`drop_stale` None: newest wins when realtime)."""
    assert cam.url is not None, "a bench camera reads a clip"
    settings = cam.source.model_copy(update={"drop_stale": drop_stale})
    return VideoSource(VideoSourceConfig.of(settings, id=cam.id, url=cam.url))


def frames_of(cam: CameraConfig) -> list[Frame]:
    """All kept frames of a clip, decoded beforehand."""
    with source(cam) as video:
        return list(video.frames())


def offline(gate: bool, outdir: Path) -> dict[str, float]:
    """One pass over both clips, as fast as possible."""
    totals = {"frames": 0.0, "calls": 0.0, "alerts": 0.0, "seconds": 0.0}
    for k, clip in enumerate(CAMERAS):
        cam = camera(clip, k, gate=gate)
        frames = frames_of(cam)
        pipeline = CameraPipeline(
            cam,
            Detector.from_config(cam.detector),
            device_id="bench",
            outbox=Outbox(outdir / f"{gate}-{k}.db"),
        )
        start = time.perf_counter()
        for frame in frames:
            pipeline.process(frame)
        totals["seconds"] += time.perf_counter() - start
        totals["frames"] += pipeline.stats.frames
        totals["calls"] += pipeline.stats.detector_calls
        totals["alerts"] += pipeline.stats.alerts
    return totals


def bare_detector() -> dict[str, float]:
    """The detector alone on the same frames."""
    frames, seconds = 0, 0.0
    for k, clip in enumerate(CAMERAS):
        cam = camera(clip, k, gate=False)
        detector = Detector.from_config(cam.detector)
        images = [f.image for f in frames_of(cam)]
        start = time.perf_counter()
        for image in images:
            detector.detect(image)
        seconds += time.perf_counter() - start
        frames += len(images)
    return {"frames": frames, "seconds": seconds}


def rss_mb() -> float:
    """Resident memory of this process."""
    with open(f"/proc/{os.getpid()}/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=20.0, help="seconds per capacity trial")
    parser.add_argument("--max-streams", type=int, default=40)
    parser.add_argument("--modes", default="before,on", help=f"capacity modes, of {', '.join(MODES)}")
    parser.add_argument(
        "--memory-counts", default="", help="camera counts to run besides the search, e.g. 1,8,16 (slopes)"
    )
    parser.add_argument("--skip-offline", action="store_true", help="only the capacity trials")
    parser.add_argument("--no-centre", action="store_true", help="no frame → centre trials at capacity")
    parser.add_argument(
        "--in-step", action="store_true", help="capacity cameras all start at their clip's beginning"
    )
    args = parser.parse_args()
    modes = args.modes.split(",")
    if unknown := sorted(set(modes) - set(MODES)):
        parser.error(f"unknown modes {unknown}; known: {sorted(MODES)}")
    pull(find_model(DEFAULT_MODEL))
    result: dict[str, object] = {} if args.skip_offline else offline_figures()
    extra = [int(n) for n in args.memory_counts.split(",") if n]
    with tempfile.TemporaryDirectory(prefix="gw-bench-centre-") as tmp:
        centre = None if args.no_centre else Path(tmp)
        modes_result = capacity(modes, args.window, args.max_streams, extra, centre, in_step=args.in_step)
    result["capacity"] = modes_result
    for mode, figures in modes_result.items():
        result[f"max_streams_5fps_{mode}"] = figures["max_streams_5fps"]
        result[f"max_streams_5fps_p99_1s_{mode}"] = figures["max_streams_5fps_p99_1s"]
        result[f"mb_per_camera_{mode}"] = figures["mb_per_camera"]
        result[f"threads_per_camera_{mode}"] = figures["threads_per_camera"]
        result[f"cpu_ms_per_frame_at_max_{mode}"] = figures["cpu_ms_per_frame_at_max"]
        result[f"latency_p99_s_at_max_{mode}"] = figures["latency_p99_s_at_max"]
        if at_max := figures.get("centre_at_max"):
            result[f"centre_latency_p50_s_at_max_{mode}"] = at_max["centre_latency_p50_s"]
            result[f"centre_latency_p99_s_at_max_{mode}"] = at_max["centre_latency_p99_s"]
    if "on" in modes_result:
        result["max_streams_5fps"] = modes_result["on"]["max_streams_5fps"]  # the key of earlier runs
    result["window_s"], result["in_step"] = args.window, args.in_step
    print(json.dumps(result))


def offline_figures() -> dict[str, object]:
    """Throughput of one camera as fast as it can go: gated, ungated, the bare detector."""
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp)
        gated, ungated, bare = offline(True, outdir), offline(False, outdir), bare_detector()
    return {
        "fps_gated": round(gated["frames"] / gated["seconds"], 2),
        "fps_ungated": round(ungated["frames"] / ungated["seconds"], 2),
        "fps_detector": round(bare["frames"] / bare["seconds"], 2),
        "detector_calls_gated": int(gated["calls"]),
        "detector_calls_ungated": int(ungated["calls"]),
        "alerts_gated": int(gated["alerts"]),
        "alerts_ungated": int(ungated["alerts"]),
        "frames": int(gated["frames"]),
    }


if __name__ == "__main__":
    main()
