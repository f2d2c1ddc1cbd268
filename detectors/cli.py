"""`gridwatch detect SOURCE`: run a model on a video file or stream, write JSON Lines."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import cv2
import supervision as sv
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from detectors.config import DEFAULT_GROUPS, DetectorConfig
from detectors.detector import Detector
from detectors.draw import draw_detections
from detectors.errors import DetectorError
from detectors.tracking import ObjectTracker, TrackerConfig
from gridwatch.clitools import err, fail
from gridwatch.contracts import FrameRecord
from ingest import Frame, IngestError, VideoSource, VideoSourceConfig
from models.ensure import ensure_model
from models.errors import ModelError
from models.registry import DEFAULT_MODEL, find_model


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise fail(f"{option} {value!r} must look like NAME=VALUE")
        out[key.strip()] = rest.strip()
    return out


def _config(
    model: str, threshold: float, class_threshold: list[str], classes: str | None, group: list[str]
) -> DetectorConfig:
    thresholds = {}
    for name, raw in _pairs(class_threshold, "--class-threshold").items():
        try:
            thresholds[name] = float(raw)
        except ValueError:
            raise fail(f"--class-threshold {name}={raw!r}: the threshold must be a number") from None
    groups = dict(DEFAULT_GROUPS)
    groups.update(
        {name: [c.strip() for c in members.split(",")] for name, members in _pairs(group, "--group").items()}
    )
    wanted = [c.strip() for c in classes.split(",")] if classes else None
    try:
        return DetectorConfig(model=model, score_threshold=threshold, class_thresholds=thresholds,
                              classes=wanted, class_groups=groups)  # fmt: skip
    except ValueError as exc:
        raise fail(f"bad detector option: {exc}") from exc


def _frames(source: VideoSource, max_frames: int | None) -> Iterator[Frame]:
    first = source.read(source.config.open_timeout_s + source.config.read_timeout_s)
    yield first
    count = 1
    for frame in source.frames():
        if max_frames is not None and count >= max_frames:
            return
        yield frame
        count += 1


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None or path == "-":
        yield sys.stdout
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        yield handle


def detect(
    source: str = typer.Argument(..., help="A video file or a stream URL (rtsp://...)."),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model name or manifest path."),
    fps: float | None = typer.Option(
        None, "--fps", min=0.01, help="Frames per second to process (default: all)."
    ),
    jsonl: str | None = typer.Option(None, "--jsonl", help="Write JSON Lines here ('-' or unset: stdout)."),
    snapshots: Path | None = typer.Option(
        None, "--snapshots", help="Save a JPEG with boxes for each frame with detections."
    ),
    threshold: float = typer.Option(0.25, "--threshold", help="Default minimum score."),
    class_threshold: list[str] = typer.Option(
        [], "--class-threshold", help="Per class or group, e.g. person=0.4 (repeatable)."
    ),
    classes: str | None = typer.Option(
        None, "--classes", help="Keep only these classes/groups, comma-separated."
    ),
    group: list[str] = typer.Option(
        [], "--group", help="Class group, e.g. vehicle=car,bus,truck (repeatable)."
    ),
    track: bool = typer.Option(
        False, "--track", help="Track objects (ByteTrack, started at the class thresholds) and add track_id."
    ),
    max_frames: int | None = typer.Option(
        None, "--max-frames", min=1, help="Stop after this many processed frames."
    ),
    threads: int = typer.Option(1, "--threads", min=1, help="onnxruntime intra-op threads."),
    input_size: int | None = typer.Option(
        None,
        "--input-size",
        min=32,
        help="Model input size, e.g. 608 (dynamic-size models; default: manifest).",
    ),
) -> None:
    """Detect objects in a video file or stream: JSON Lines per frame, per-class counts at the end."""
    config = _config(model, threshold, class_threshold, classes, group).model_copy(
        update={"intra_op_threads": threads, "input_size": input_size}
    )
    run_detection(
        source, config, fps=fps, jsonl=jsonl, snapshots=snapshots, track=track, max_frames=max_frames
    )


def run_detection(
    source: str,
    config: DetectorConfig,
    *,
    fps: float | None,
    jsonl: str | None,
    snapshots: Path | None,
    track: bool = False,
    max_frames: int | None = None,
) -> None:
    """Run the detector over a source, writing JSON Lines and snapshots; exit 2 on bad input."""
    try:
        entry = find_model(config.model)
        ensure_model(entry)
        detector = Detector(entry, config)
    except (ModelError, DetectorError) as exc:
        raise fail(str(exc)) from exc
    if snapshots is not None:
        snapshots.mkdir(parents=True, exist_ok=True)
    tracking = TrackerConfig()
    tracker = (
        ObjectTracker(tracking, thresholds=detector.thresholds, frame_rate=fps or 10.0) if track else None
    )
    low_ratio = tracking.low_ratio if track else 1.0
    stats = _Stats(list(config.class_groups))
    video = VideoSource(VideoSourceConfig(id="detect", url=source, detect_fps=fps))
    try:
        with video, _output(jsonl) as out, _progress(video) as (progress, task):
            for frame in _frames(video, max_frames):
                found = detector.detect(frame.image, low_ratio=low_ratio)
                if tracker is not None:
                    found = tracker.update(found, frame.pts)
                out.write(FrameRecord.from_detections(frame.index, frame.pts, found).to_json() + "\n")
                stats.add(found)
                if snapshots is not None and len(found):
                    cv2.imwrite(
                        str(snapshots / f"frame_{frame.index:06d}.jpg"), draw_detections(frame.image, found)
                    )
                progress.update(task, completed=frame.index + 1)
    except IngestError as exc:
        raise fail(f"cannot read {source}: {exc}") from exc
    stats.report(err)


class _Stats:
    """Per-class and per-group counts over the processed frames."""

    def __init__(self, groups: list[str]) -> None:
        self.frames = 0
        self.detections: Counter[str] = Counter()
        self.frames_with: Counter[str] = Counter()
        self.groups = groups

    def add(self, found: sv.Detections) -> None:
        self.frames += 1
        names = [str(n) for n in found.data.get("class_name", [])]
        groups = [str(g) for g in found.data.get("group", []) if str(g)]
        self.detections.update(names + [f"group:{g}" for g in groups])
        self.frames_with.update(set(names) | {f"group:{g}" for g in groups})

    def report(self, console: Console) -> None:
        table = Table(title=f"detections per class over {self.frames} processed frames")
        for column in ("class or group", "detections", "frames with it"):
            table.add_column(column)
        keys = sorted(self.detections, key=lambda k: -self.detections[k])
        keys += [f"group:{g}" for g in self.groups if f"group:{g}" not in self.detections]
        for key in keys:
            table.add_row(key, str(self.detections[key]), str(self.frames_with[key]))
        console.print(table)


@contextlib.contextmanager
def _progress(video: VideoSource) -> Iterator[tuple[Progress, TaskID]]:
    total = None
    if not video.config.is_live:
        capture = cv2.VideoCapture(video.config.url)
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
        capture.release()
    columns = (TextColumn("detecting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        yield progress, progress.add_task("frames", total=total)
