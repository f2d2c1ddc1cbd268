"""Edge pipeline throughput and capacity on the shared clips, against baselines in the same run.

(a) the full pipeline (gate → detector → tracker → rules → outbox) with the motion gate,
(b) the same without the gate, (c) the bare detector loop on the same frames (decoded beforehand).
Each runs both clips at 5 detect-fps as fast as it can; frames/s, detector calls and alert counts
are printed. Then the capacity: N cameras replaying the clips at their real rate in parallel
(5 detect-fps each, one thread per camera, one shared onnxruntime session), N raised until the
pipeline falls behind (processed rate < 95 % of 5 fps, or a lag behind real time that is over 2 s
and still growing between the middle and the end of the window).
Prints one JSON line at the end.

    python bench/pipeline.py [--window 20] [--max-streams 40]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

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


def source(cam: CameraConfig) -> VideoSource:
    """The camera's video source at its detect rate."""
    return VideoSource(
        VideoSourceConfig(id=cam.id, url=cam.url, detect_fps=cam.detect_fps, realtime=cam.realtime)
    )


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


@dataclass
class StreamResult:
    """How one live-replayed camera kept up."""

    processed: int = 0
    lag_s: float = 0.0
    lag_mid_s: float = 0.0


def live(streams: int, window_s: float, outdir: Path) -> tuple[bool, float, float]:
    """N cameras at real rate for `window_s`: (kept up, mean processed fps per stream, RSS MB)."""
    clips = list(CAMERAS)
    cams = [camera(clips[k % 2], k, gate=True, realtime=True) for k in range(streams)]
    outbox = Outbox(outdir / f"live-{streams}.db")
    pipelines = [
        CameraPipeline(c, Detector.from_config(c.detector), device_id="bench", outbox=outbox) for c in cams
    ]
    results = [StreamResult() for _ in cams]
    stop = threading.Event()

    def run(k: int) -> None:
        with source(cams[k]) as video:
            start = time.monotonic()
            for frame in video.frames():
                pipelines[k].process(frame)
                results[k].processed += 1
                results[k].lag_s = (time.monotonic() - start) - frame.pts
                if stop.is_set():
                    return

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(streams)]
    for thread in threads:
        thread.start()
    time.sleep(window_s / 2)
    for result in results:
        result.lag_mid_s = result.lag_s
    time.sleep(window_s / 2)
    rss = rss_mb()
    stop.set()
    for thread in threads:
        thread.join(30)
    fps = [r.processed / window_s for r in results]
    # keeping up: ≥ 95 % of 5 fps (minus the first second's start-up), and no lag that keeps growing
    rate_ok = min(fps) >= 0.95 * 5 * (window_s - 1.0) / window_s
    lag_ok = all(r.lag_s < 2.0 or r.lag_s < r.lag_mid_s + 0.5 for r in results)
    kept_up = rate_ok and lag_ok
    return kept_up, sum(fps) / len(fps), rss


def rss_mb() -> float:
    """Resident memory of this process."""
    with open(f"/proc/{os.getpid()}/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def capacity(window_s: float, most: int, outdir: Path) -> tuple[int, float]:
    """Largest N that keeps up (4, 8, 12, ... then one by one), and the RSS there."""
    best, best_rss, n, step = 0, 0.0, 4, 4
    while n <= most:
        ok, fps, rss = live(n, window_s, outdir)
        print(
            json.dumps({"streams": n, "kept_up": ok, "fps_per_stream": round(fps, 2), "rss_mb": round(rss)}),
            flush=True,
        )
        if ok:
            best, best_rss = n, rss
            n += step
        elif step > 1:
            n, step = best + 1, 1
        else:
            break
    return best, best_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=20.0, help="seconds per capacity trial")
    parser.add_argument("--max-streams", type=int, default=40)
    args = parser.parse_args()
    pull(find_model(DEFAULT_MODEL))
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp)
        gated, ungated, bare = offline(True, outdir), offline(False, outdir), bare_detector()
        streams, rss = capacity(args.window, args.max_streams, outdir)
    result = {
        "fps_gated": round(gated["frames"] / gated["seconds"], 2),
        "fps_ungated": round(ungated["frames"] / ungated["seconds"], 2),
        "fps_detector": round(bare["frames"] / bare["seconds"], 2),
        "detector_calls_gated": int(gated["calls"]),
        "detector_calls_ungated": int(ungated["calls"]),
        "alerts_gated": int(gated["alerts"]),
        "alerts_ungated": int(ungated["alerts"]),
        "max_streams_5fps": streams,
        "rss_mb_at_max_streams": round(rss),
        "frames": int(gated["frames"]),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
