"""Evidence clips: what keeping a pre-roll and writing a clip cost per camera, against the pipeline.

In one run, on the person clip (768x432 H.264, 10 fps, keyframe every second) at 5 detect-fps:
(a) the pipeline alone (gate → detector → tracker → rules → outbox), (b) the same with the packets
pre-roll (the file's compressed packets demuxed, copied and kept: no decoding), (c) the same with
the frames pre-roll (each processed frame encoded to JPEG and kept). CPU is the calling thread's CPU
time spent in the recorder's calls (everything of a file's recorder runs there), next to the
process CPU of the whole pipeline over the same frames. Then one clip of pre 5 s + post 10 s per
kind: the CPU of recording it (remux, resp. JPEG decode + H.264 encode) and of finishing it (faststart
remux + sha256). Memory: the pre-roll's payload bytes and the Python heap it holds (tracemalloc).
Prints one JSON line at the end.

    python bench/clips.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from detectors import Detector
from edge.clips.jobs import ClipFinisher, Finished, clip_info
from edge.clips.queue import ClipQueue
from edge.clips.recorder import CameraRecorder, FrameRecorder, PacketRecorder
from edge.config import BufferKind, CameraConfig, ClipsConfig
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline
from gridwatch.contracts import Alert
from ingest import Frame, VideoSource, VideoSourceConfig
from models.pull import pull
from models.registry import DEFAULT_MODEL, find_model

CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "clips" / "one-by-one-person-detection.mp4"
CAMERA = CameraConfig.model_validate(
    {
        "id": "cam",
        "url": str(CLIP),
        "location": {"lon": 118.7, "lat": 32.0},
        "detect_fps": 5,
        "rules": {
            "zones": [{"name": "all", "points": [[0, 0], [768, 0], [768, 432], [0, 432]]}],
            "rules": [{"type": "intrusion", "id": "room", "zone": "all", "classes": ["person"]}],
        },
    }
)


@dataclass
class Pass:
    """One pass over the clip."""

    frames: int
    process_cpu_s: float
    recorder_cpu_s: float
    buffer_bytes: int
    heap_bytes: int


def frames(seconds: float) -> list[Frame]:
    """The frames the pipeline sees in the first `seconds` (decoded once, outside the measurements)."""
    out = []
    with VideoSource(VideoSourceConfig(id="cam", url=str(CLIP), detect_fps=5)) as source:
        for frame in source.frames():
            if frame.pts >= seconds:
                break
            out.append(frame)
    return out


def recorder(kind: BufferKind | None, folder: Path) -> CameraRecorder | None:
    if kind is None:
        return None
    config = ClipsConfig(buffer=kind)
    queue = ClipQueue(folder / f"{kind.value}.db")
    finisher = ClipFinisher(queue)
    if kind is BufferKind.PACKETS:
        return PacketRecorder(
            "cam",
            config,
            url=str(CLIP),
            live=False,
            clips=queue,
            finisher=finisher,
            folder=folder / kind.value,
        )
    return FrameRecorder(
        "cam", config, fps=5, live=False, clips=queue, finisher=finisher, folder=folder / kind.value
    )


def one_pass(kind: BufferKind | None, shots: list[Frame], detector: Detector, folder: Path) -> Pass:
    pipeline = CameraPipeline(
        CAMERA, detector, device_id="bench", outbox=Outbox(folder / f"outbox-{kind}.db")
    )
    rec = recorder(kind, folder)
    tracemalloc.start()
    start, spent = time.process_time(), 0.0
    for frame in shots:
        pipeline.process(frame)
        if rec is not None:
            t0 = time.thread_time()
            rec.on_frame(frame, pipeline.track_ids)
            spent += time.thread_time() - t0
    total = time.process_time() - start
    heap = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    buffered = 0 if rec is None else rec.buffered_bytes
    return Pass(len(shots), total, spent, buffered, heap)


def one_clip(kind: BufferKind, shots: list[Frame], folder: Path) -> tuple[float, float, int]:
    """CPU of recording one 5 + 10 s clip (thread time in the recorder) and of finishing it; its size."""
    rec = recorder(kind, folder / "clip")
    assert rec is not None
    alert_at = next(i for i, f in enumerate(shots) if f.pts >= 20.0)
    for frame in shots[:alert_at]:
        rec.on_frame(frame, frozenset())
    alert = Alert.model_validate(
        {
            "alert_id": f"bench-{kind.value}",
            "device_id": "bench",
            "source_id": "cam",
            "source_kind": "camera",
            "kind": "intrusion",
            "severity": "high",
            "observed_at": shots[alert_at].captured_at,
            "location": {"lon": 1, "lat": 1},
        }
    )
    t0 = time.thread_time()
    rec.on_alerts([alert], shots[alert_at])
    for frame in shots[alert_at : alert_at + 60]:
        rec.on_frame(frame, frozenset())
    recording = time.thread_time() - t0
    job_end = rec.finisher.take()  # the job ended: finish it here, measured
    assert isinstance(job_end, Finished)
    t1 = time.thread_time()
    info = clip_info(job_end, job_end.final)
    finishing = time.thread_time() - t1
    return recording, finishing, info.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="Seconds of the clip per pass")
    args = parser.parse_args()
    pull(find_model(DEFAULT_MODEL))
    detector = Detector.from_config(CAMERA.detector)
    shots = frames(args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = one_pass(None, shots, detector, folder)
        passes = {
            kind: one_pass(kind, shots, detector, folder) for kind in (BufferKind.PACKETS, BufferKind.FRAMES)
        }
        clips = {kind: one_clip(kind, shots, folder) for kind in (BufferKind.PACKETS, BufferKind.FRAMES)}
    video_s = args.seconds
    result: dict[str, float | int] = {
        "video_s": video_s,
        "frames": base.frames,
        "pipeline_cpu_ms_per_s": round(base.process_cpu_s / video_s * 1000, 1),
    }
    for kind, run in passes.items():
        k = kind.value
        result[f"{k}_buffer_cpu_ms_per_s"] = round(run.recorder_cpu_s / video_s * 1000, 2)
        result[f"{k}_buffer_vs_pipeline"] = round(run.recorder_cpu_s / base.process_cpu_s, 4)
        result[f"{k}_buffer_mb"] = round(run.buffer_bytes / 2**20, 2)
        result[f"{k}_heap_mb"] = round(run.heap_bytes / 2**20, 2)
        recording, finishing, size = clips[kind]
        result[f"{k}_clip_record_cpu_s"] = round(recording, 3)
        result[f"{k}_clip_finish_cpu_s"] = round(finishing, 3)
        result[f"{k}_clip_mb"] = round(size / 2**20, 2)
        print(
            f"{k:8s} pre-roll: {result[f'{k}_buffer_cpu_ms_per_s']} ms CPU per s of video "
            f"({100 * run.recorder_cpu_s / base.process_cpu_s:.2f} % of the pipeline's "
            f"{result['pipeline_cpu_ms_per_s']} ms), {result[f'{k}_buffer_mb']} MB held "
            f"({result[f'{k}_heap_mb']} MB Python heap); one 15 s clip: {recording:.3f} s CPU to record, "
            f"{finishing:.3f} s to finish, {result[f'{k}_clip_mb']} MB"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
