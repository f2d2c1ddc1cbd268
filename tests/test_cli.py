"""The `gridwatch` command as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from gridwatch.contracts import FrameRecord
from models.registry import DEFAULT_MODEL
from tests.support.models import PERSON_CLIP, VTEST, default_model
from tests.support.rtsp import RtspServer


def gridwatch(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["models"],
        ["detect"],
        ["models", "pull"],
        ["models", "list"],
        ["doctor"],
        ["demo"],
        ["cameras"],
        ["cameras", "import-wvp"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = gridwatch(*command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    default_model()
    missing = tmp_path / "no-such-clip.mp4"
    result = gridwatch("detect", str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr


def test_unreadable_stream_exits_2_naming_it() -> None:
    default_model()
    url = "rtsp://127.0.0.1:9/nothing-listens-here"
    result = gridwatch("detect", url, timeout=120)
    assert result.returncode == 2
    assert url in result.stderr


def test_unknown_model_exits_2_naming_it() -> None:
    result = gridwatch("detect", str(PERSON_CLIP), "--model", "no-such-model")
    assert result.returncode == 2
    assert "unknown model 'no-such-model'" in result.stderr


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        (["--class-threshold", "person"], "must look like NAME=VALUE"),
        (["--class-threshold", "person=x"], "number"),
        (["--input-size", "600"], "input_size 600 is not a multiple of yolov3-tiny-coco's stride 32"),
    ],
)
def test_bad_options_exit_2(option: list[str], problem: str) -> None:
    result = gridwatch("detect", str(PERSON_CLIP), *option)
    assert result.returncode == 2
    assert problem in result.stderr


@pytest.mark.slow
def test_detect_writes_the_jsonl_contract_snapshots_and_counts(tmp_path: Path) -> None:
    default_model()
    out, shots = tmp_path / "out.jsonl", tmp_path / "shots"
    result = gridwatch(
        "detect", str(PERSON_CLIP), "--fps", "1", "--max-frames", "14", "--jsonl", str(out),
        "--snapshots", str(shots), "--track",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = [FrameRecord.model_validate_json(line) for line in out.read_text().splitlines()]
    assert [r.frame for r in records] == list(range(0, 140, 10))  # 10 fps clip read at 1 fps
    assert [r.pts for r in records] == [float(s) for s in range(14)]
    with_person = [r.frame for r in records if any(d.label == "person" for d in r.detections)]
    assert 100 in with_person
    assert 30 not in with_person
    tracks = {d.track_id for r in records for d in r.detections if d.label == "person"}
    assert tracks - {None}  # confirmed tracks carry ids; a track's first frames may not yet
    assert sorted(p.name for p in shots.iterdir()) == [
        f"frame_{r.frame:06d}.jpg" for r in records if r.detections
    ]
    assert "detections per class" in result.stderr
    assert "person" in result.stderr
    assert "group:vehicle" in result.stderr  # configured groups are listed even when nothing matched


@pytest.mark.slow
def test_detect_track_tracks_what_scores_above_the_class_threshold(tmp_path: Path) -> None:
    """vtest.avi: people scored 0.4-0.7 get track ids; weaker boxes appear only as part of a track."""
    default_model()
    out = tmp_path / "vtest.jsonl"
    result = gridwatch(
        "detect", str(VTEST), "--fps", "5", "--max-frames", "60", "--jsonl", str(out), "--track",
        "--classes", "person", "--class-threshold", "person=0.4",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = [FrameRecord.model_validate_json(line) for line in out.read_text().splitlines()]
    continuing = [
        d
        for before, now in pairwise(records)
        for d in now.detections
        if 0.4 <= d.score < 0.7 and any(iou(d.box, b.box) >= 0.5 for b in before.detections if b.score >= 0.4)
    ]  # objects seen in the frame before (a first sighting is confirmed one frame later)
    assert len(continuing) > 30
    assert [d for d in continuing if d.track_id is None] == []
    weak = [d for r in records for d in r.detections if d.score < 0.4]
    assert weak  # weaker boxes are reported, but only as part of a confirmed track
    assert all(d.track_id is not None for d in weak)


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def test_models_list_and_pull_twice_does_no_work() -> None:
    default_model()
    listing = gridwatch("models", "list")
    assert listing.returncode == 0
    assert DEFAULT_MODEL in listing.stdout
    assert "yes" in listing.stdout
    again = gridwatch("models", "pull")
    assert again.returncode == 0
    assert "already cached" in again.stderr


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    default_model()
    result = gridwatch("--json-logs", "detect", str(tmp_path / "missing.mp4"))
    assert result.returncode == 2
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert records
    assert {"ts", "level", "logger", "msg"} <= set(records[0])
    assert any("missing.mp4" in r["msg"] for r in records)


@pytest.mark.slow
def test_detect_reads_an_rtsp_stream(tmp_path: Path, rtsp_server: RtspServer) -> None:
    default_model()
    out = tmp_path / "rtsp.jsonl"
    result = gridwatch("detect", rtsp_server.url, "--fps", "2", "--max-frames", "6", "--jsonl", str(out))
    assert result.returncode == 0, result.stderr
    records = [FrameRecord.model_validate_json(line) for line in out.read_text().splitlines()]
    assert len(records) == 6
    assert [r.pts for r in records] == sorted(r.pts for r in records)
    assert "detections per class over 6 processed frames" in result.stderr
