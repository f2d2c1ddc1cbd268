"""Detector throughput on the shared clips, against two baselines measured in the same run.

(a) a bare `session.run` loop on tensors prepared beforehand (the ceiling for our runtime),
(b) GridWatch's Detector end to end: letterbox + run + decode + NMS, boxes in frame pixels,
(c) OpenCV's DNN module with its own Darknet importer on the same cfg + weights, as its users
    write it: blobFromImage at the cfg's 416x416, forward, decode the [yolo] rows, NMSBoxesBatched.
Also reported, not part of the ratios: (c') the same OpenCV loop fed our rectangular letterbox
input (416x256 for these 768x432 clips), to show how much of the gain is input geometry.
All three run on one thread (the edge default: one intra-op thread per worker). Rounds are
interleaved and the median round is reported, so background load hits each method alike.
Prints one JSON line at the end.

    python bench/detector.py [--frames 60] [--rounds 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from detectors import Detector, DetectorConfig
from detectors.preprocess import fit, to_tensor
from models.pull import pull, source_files
from models.registry import DEFAULT_MODEL, ModelEntry, find_model

CLIPS = Path(__file__).resolve().parents[1].parent / "shared" / "clips"
Frame = NDArray[np.uint8]


def load_frames(per_clip: int) -> list[Frame]:
    """Evenly spaced frames from both shared clips."""
    frames: list[Frame] = []
    for clip in ("one-by-one-person-detection.mp4", "car-detection.mp4"):
        capture = cv2.VideoCapture(str(CLIPS / clip))
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        for index in np.linspace(0, total - 1, per_clip).astype(int):
            capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
            ok, frame = capture.read()
            if ok:
                frames.append(np.asarray(frame, dtype=np.uint8))
        capture.release()
    return frames


def opencv_loop(entry: ModelEntry, threads: int, *, rect: bool = False) -> Callable[[Frame], int]:
    """OpenCV DNN Darknet pipeline with the manifest's anchor masks; returns boxes per frame."""
    files = source_files(entry)
    cfg = files["cfg"].read_text(encoding="utf-8").replace("mask = 0,1,2", "mask = 1,2,3")
    patched = files["cfg"].with_name("bench-peer.cfg")
    patched.write_text(cfg, encoding="utf-8")
    net = cv2.dnn.readNetFromDarknet(str(patched), str(files["weights"]))
    cv2.setNumThreads(threads)
    names = net.getUnconnectedOutLayersNames()
    size = (entry.manifest.input.width, entry.manifest.input.height)

    def run(frame: Frame) -> int:
        height, width = frame.shape[:2]
        if rect:  # rows come normalised to the padded input; map them back to the frame
            image, placement = fit(frame, entry.manifest.input)
            net.setInput(to_tensor([image], entry.manifest.input))
            scale = np.array([image.shape[1], image.shape[0]] * 2) / np.array(
                [placement.scale_x, placement.scale_y] * 2
            )
            shift = np.array([placement.pad_x / placement.scale_x, placement.pad_y / placement.scale_y, 0, 0])
        else:
            net.setInput(cv2.dnn.blobFromImage(frame, 1 / 255, size, swapRB=True, crop=False))
            scale, shift = np.array([width, height, width, height]), np.zeros(4)
        rows = np.concatenate(net.forward(names))
        scores = rows[:, 5:]
        class_id, confidence = scores.argmax(axis=1), scores.max(axis=1)
        keep = confidence >= 0.25
        boxes = rows[keep, :4] * scale - shift
        boxes[:, :2] -= boxes[:, 2:] / 2
        kept = cv2.dnn.NMSBoxesBatched(
            boxes.tolist(), confidence[keep].tolist(), class_id[keep].tolist(), 0.25, 0.45
        )
        return len(kept)

    return run


def fps(step: Callable[[int], object], count: int) -> float:
    """Frames per second of `step` over `count` frames."""
    start = time.perf_counter()
    for k in range(count):
        step(k)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="frames per clip")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    entry = find_model(DEFAULT_MODEL)
    pull(entry)
    frames = load_frames(args.frames)
    detector = Detector(entry, DetectorConfig(intra_op_threads=args.threads))
    tensors = [to_tensor([fit(f, entry.manifest.input)[0]], entry.manifest.input) for f in frames]
    peer = opencv_loop(entry, args.threads)
    peer_rect = opencv_loop(entry, args.threads, rect=True)
    methods: dict[str, Callable[[int], object]] = {
        "raw": lambda k: detector.session.run(None, {"images": tensors[k]}),
        "gridwatch": lambda k: detector.detect(frames[k]),
        "opencv": lambda k: peer(frames[k]),
        "opencv_rect": lambda k: peer_rect(frames[k]),
    }
    for step in methods.values():  # warm-up
        fps(step, 5)
    rounds: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.rounds):
        for name, step in methods.items():
            rounds[name].append(fps(step, len(frames)))
    result: dict[str, object] = {}
    fps_of = {name: round(statistics.median(values), 2) for name, values in rounds.items()}
    result.update({f"fps_{name}": value for name, value in fps_of.items()})
    result["ratio_vs_raw"] = round(fps_of["gridwatch"] / fps_of["raw"], 3)
    result["ratio_vs_opencv"] = round(fps_of["gridwatch"] / fps_of["opencv"], 3)
    result.update(frames=len(frames), rounds=args.rounds, threads=args.threads, model=DEFAULT_MODEL)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
