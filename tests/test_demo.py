"""`gridwatch demo`, the README's first command, end to end: API + grids + edge worker → grid events."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from edge.config import EdgeConfigError, load_edge_config
from gridwatch.demo import CLIPS_ENV, NextStep, next_steps, with_clips
from tests.support.models import CLIPS, default_model

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "configs" / "edge.example.yaml"
RAW_REQUEST = re.compile(r"HTTP Request:|\"(GET|POST|PUT|PATCH|DELETE) /\S* HTTP/1\.[01]\" \d{3}")
"""httpx's request log line, or uvicorn's access line."""


@pytest.mark.slow
def test_demo_prints_grid_events_with_evidence(tmp_path: Path) -> None:
    default_model()
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "demo", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    events = yaml.safe_load((out / "events.yaml").read_text(encoding="utf-8"))["events"]
    by_cell = {e["cell_code"]: e for e in events if e["type_code"] == "INTRUSION"}
    room = by_cell["DX-T01-V01-C001"]  # the room camera's cell: six people walk in, each leaves right
    assert room["alert_count"] >= 12  # six intrusions and six exit crossings correlate into one event
    assert room["grid_path"].startswith("/DXC/DX/DX-T01/DX-T01-V01/DX-T01-V01-C001")
    for event in events:
        assert re.fullmatch(r"DX-\d{8}-[A-Z_]+-\d{4}", event["code"])
        assert event["code"] in result.stdout
        evidence = Path(event["evidence_file"])
        assert evidence.read_bytes()[:2] == b"\xff\xd8"
    assert "alerts delivered to the centre" in result.stderr
    assert "still queued: 0" in result.stderr
    sent = re.search(r"alerts delivered to the centre: (\d+)", result.stderr)
    assert sent is not None
    assert int(sent[1]) == sum(e["alert_count"] for e in events)


@pytest.mark.slow
def test_readme_first_command_in_a_fresh_clone(tmp_path: Path) -> None:
    """The README's first command in a fresh `git clone` laid out as CI's checkout is (`../shared/clips`
    beside it, here a symlink to the real clips folder).

    Creating a virtualenv and `pip install -e .` in the clone would take minutes and download nothing
    new: this test reuses the interpreter running the tests (the shared/CI venv, which has every
    dependency) with `PYTHONPATH` at the clone, so the code that runs is the clone's, committed state
    (uncommitted changes in the working tree are not in a clone). The venv step itself is CI's job.
    """
    default_model()
    clone = tmp_path / "gridwatch"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "clips").symlink_to(CLIPS.resolve(), target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k not in (CLIPS_ENV, "COLUMNS")}
    env["PYTHONPATH"] = str(clone)
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "demo"], cwd=clone, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600, check=False,
    )  # fmt: skip
    output = result.stdout
    assert result.returncode == 0, output[-3000:]
    assert not RAW_REQUEST.search(output), RAW_REQUEST.search(output)
    assert "INFO edge.pipeline" not in output  # the bars tell the story, not one log line per alert
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    bars = [k for k, line in enumerate(lines) if line.startswith(("cam-room", "cam-lot"))]
    table = next(k for k, line in enumerate(lines) if "grid events made by the centre" in line)
    block = lines.index("where to look next")
    assert len(bars) == 2
    assert max(bars) < table < block
    assert all("100%" in lines[k] and "detector calls" in lines[k] for k in bars)
    steps = next_steps(clone / "gridwatch-demo", f"sqlite:///{clone / 'gridwatch-demo' / 'centre.db'}")
    console = lines[block + 1]  # the operator console and its demo login come first
    assert re.search(r"the operator console\s+http://127\.0\.0\.1:8000/\s+login: demo / \S+", console), (
        console
    )
    assert len(lines) - block - 2 == len(steps)  # the block is the end of the output
    for line, step in zip(lines[block + 2 :], steps, strict=True):
        assert line.strip().startswith(step.what), line
    assert str(clone / "gridwatch-demo" / "evidence") in lines[block + 2]
    assert str(clone / "configs" / "centre.example.yaml") in output  # the clone's code ran, not ours
    assert (clone / "gridwatch-demo" / "events.yaml").is_file()


def test_missing_clips_stop_the_demo_naming_the_file_and_the_setting(tmp_path: Path) -> None:
    env = {**os.environ, CLIPS_ENV: str(tmp_path / "no-clips-here")}
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "demo", "--out", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode == 2
    message = result.stderr.replace("\n", "")
    assert f"clip not found: {tmp_path / 'no-clips-here' / 'one-by-one-person-detection.mp4'}" in message
    assert f"set {CLIPS_ENV} to the folder" in message
    assert not (tmp_path / "demo" / "centre.db").exists()  # refused before anything started


def test_gridwatch_clips_points_file_cameras_at_another_folder(tmp_path: Path) -> None:
    config = load_edge_config(EXAMPLE)
    for camera in config.cameras:
        (tmp_path / Path(str(camera.url)).name).write_bytes(b"")
    moved = with_clips(config, str(tmp_path))
    assert [Path(str(c.url)).parent for c in moved.cameras] == [tmp_path] * len(config.cameras)
    assert [Path(str(c.url)).name for c in moved.cameras] == [Path(str(c.url)).name for c in config.cameras]
    assert with_clips(config, None) == config  # unset: the config's own paths (../shared/clips)
    (tmp_path / "car-detection.mp4").unlink()
    with pytest.raises(EdgeConfigError, match="camera cam-lot: clip not found"):
        with_clips(config, str(tmp_path))


def test_next_steps_slot_for_the_console_comes_first(tmp_path: Path) -> None:
    plain = next_steps(tmp_path, "sqlite:///c.db")
    console = NextStep("the operator console", "http://127.0.0.1:8000/  (login: demo)")
    assert next_steps(tmp_path, "sqlite:///c.db", console=console) == [console, *plain]
    assert [step.what for step in plain][:2] == ["evidence snapshots", "the centre's database"]
