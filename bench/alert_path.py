"""CPU per alert on its hot path, edge and centre, for this checkout against a baseline checkout.

One alert = a real frame of `car-detection.mp4` (resized to 1920×1080, JPEG quality 85) as evidence:
the edge builds the `Alert` and `Outbox.put`s it (edge build), the real `Publisher` drains the
outbox to a real centre (`POST /v1/alerts`, uvicorn on 127.0.0.1, SQLite) (edge publish), and the
centre parses, digests and stores it (centre). CPU is process time: this process for the edge (all
its threads), `/proc/<pid>/stat` of the server for the centre. A second figure is the CPU of one
`Outbox.due(20)` over 20 pending alerts: what each publisher loop costs while alerts wait.

Each checkout runs in its own child process, twice, interleaved: this file's child code on that
checkout's packages (`bench.checkout.use_checkout`), so the baseline needs no copy of this bench.

    python bench/alert_path.py --baseline /path/to/old/checkout [--alerts 200] [--noise 12]

Prints one JSON line at the end: per-alert CPU milliseconds of both and the ratios (current/baseline).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np

from bench.checkout import commit_of, compared, process_cpu_s, run_json, use_checkout

REPO = Path(__file__).resolve().parents[1]
CLIP = Path(os.environ.get("GRIDWATCH_CLIPS", REPO.parent / "shared" / "clips")) / "car-detection.mp4"
SIZE = (1920, 1080)


def snapshots(count: int, noise: float) -> list[bytes]:
    """`count` JPEGs of consecutive frames of the clip (cycling), at 1920×1080; `noise` (grey levels of
    Gaussian sensor noise) makes them as large as a night frame of a real camera."""
    rng = np.random.default_rng(7)
    capture = cv2.VideoCapture(str(CLIP))
    frames: list[bytes] = []
    while len(frames) < min(count, 50):
        ok, frame = capture.read()
        if not ok:
            break
        big = cv2.resize(frame, SIZE)
        if noise:
            big = np.clip(big + rng.normal(0, noise, big.shape), 0, 255).astype(np.uint8)
        frames.append(cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
    capture.release()
    if not frames:
        raise SystemExit(f"no frames in {CLIP}")
    return [frames[k % len(frames)] for k in range(count)]


def child(checkout: Path, count: int, noise: float) -> dict[str, float]:
    """Run the hot path of `checkout`'s code; CPU per alert in ms."""
    use_checkout(checkout)
    from bench.api import prepare_gridwatch_db, start_server
    from edge.config import ApiConfig
    from edge.outbox import Outbox
    from edge.publisher import Publisher
    from gridwatch.contracts.alert import Alert, Evidence, EvidenceBox, Location

    jpegs = snapshots(count, noise)
    with tempfile.TemporaryDirectory(prefix="gw-alert-path-") as folder:
        url = f"sqlite:///{folder}/centre.db"
        token = prepare_gridwatch_db(url)
        server, port = start_server("gridwatch", url)
        try:
            outbox = Outbox(Path(folder) / "outbox.db")
            now = datetime.now(UTC)
            start = time.process_time()
            for k, jpeg in enumerate(jpegs):
                box = EvidenceBox(label="car", score=0.8, box=(100, 100, 400, 300), track_id=k)
                outbox.put(
                    Alert(
                        alert_id=f"a-{k}", device_id="edge-01", source_id="cam-1", source_kind="camera",
                        kind="vehicle_stationary", severity="medium", observed_at=now,
                        location=Location(lon=118.702, lat=32.002), rule="lane",
                        evidence=Evidence.with_snapshot(jpeg, boxes=[box]),
                    )
                )  # fmt: skip
            build = time.process_time() - start
            start = time.process_time()
            loops = 20
            for _ in range(loops):
                outbox.due(20)
            due = time.process_time() - start
            config = ApiConfig(url=f"http://127.0.0.1:{port}", token=token, timeout_s=30)
            publisher = Publisher(outbox, config, batch=20)
            start, centre_start = time.process_time(), process_cpu_s(server.pid)
            publisher.start()
            publisher.notify()
            while outbox.depth():
                time.sleep(0.01)
            publish, centre = time.process_time() - start, process_cpu_s(server.pid) - centre_start
            publisher.stop(drain_timeout_s=0)
            if publisher.stats.sent != count:
                raise SystemExit(f"only {publisher.stats.sent} of {count} alerts were delivered")
            outbox.close()
        finally:
            server.terminate()
            server.wait(30)
    ms = 1000 / count
    return {
        "edge_build_ms": build * ms,
        "edge_publish_ms": publish * ms,
        "centre_ms": centre * ms,
        "due20_ms": due * 1000 / loops,
        "snapshot_kb": statistics.mean(len(j) for j in jpegs) / 1024,
    }


def run_child(checkout: Path, count: int, noise: float) -> dict[str, float]:
    """This file's child on `checkout`'s code, in its own process."""
    command = [sys.executable, __file__, "--child", str(checkout), "--alerts", str(count), f"--noise={noise}"]
    return run_json(checkout, command, GRIDWATCH_CLIPS=str(CLIP.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="checkout of the code to compare against")
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--noise", type=float, default=0.0, help="sensor noise, grey levels (0: none)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.alerts, args.noise)))
        return
    if args.baseline is None:
        parser.error("--baseline is required")
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "current": []}
    for _ in range(args.rounds):
        for name, checkout in (("baseline", args.baseline), ("current", REPO)):
            runs[name].append(run_child(checkout.resolve(), args.alerts, args.noise))
            print(name, json.dumps(runs[name][-1]), flush=True)
    result: dict[str, Any] = {"alerts": args.alerts, "noise": args.noise}
    result["baseline_commit"] = commit_of(args.baseline)
    for key in runs["current"][0]:
        result[key] = compared([r[key] for r in runs["baseline"]], [r[key] for r in runs["current"]])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
