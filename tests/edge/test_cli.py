"""`gridwatch edge run` as a user runs it: a real process, exit code 2 and a message naming the problem."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.centre import CentreApi, Seeded
from tests.support.models import PERSON_CLIP, default_model

REPO = Path(__file__).resolve().parents[2]


def edge_run(config: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(config), *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def message(result: subprocess.CompletedProcess[str]) -> str:
    """Standard error with the console's line wrapping undone."""
    return result.stderr.replace("\n", "")


def config_file(folder: Path, *urls: str, **extra: Any) -> Path:
    """An edge config with one camera per URL, written to `folder`."""
    raw = {
        "device_id": "edge-test",
        "api": {"url": "http://127.0.0.1:9", "token": "a-device-token"},
        "cameras": [
            {"id": f"cam-{k}", "url": url, "location": {"lon": 118.702, "lat": 32.002}}
            for k, url in enumerate(urls)
        ],
        **extra,
    }
    path = folder / "edge.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_a_missing_config_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = edge_run(missing)
    assert result.returncode == 2
    assert f"cannot read edge config {missing}" in message(result)


def test_an_unknown_key_exits_2_naming_it(tmp_path: Path) -> None:
    result = edge_run(config_file(tmp_path, "clip.mp4", colour="blue"), "--once")
    assert result.returncode == 2
    assert "colour: Extra inputs are not permitted" in message(result)
    assert not (tmp_path / "gridwatch-edge").exists()


@pytest.mark.parametrize(
    ("urls", "streams"),
    [
        (["rtsp://127.0.0.1:9/cam"], "cam-0"),
        (["clip.mp4", "rtsp://127.0.0.1:9/a", "rtsp://127.0.0.1:9/b"], "cam-1, cam-2"),
    ],
    ids=["one stream", "files and streams"],
)
def test_once_with_a_live_stream_exits_2_before_starting(
    tmp_path: Path, urls: list[str], streams: str
) -> None:
    result = edge_run(config_file(tmp_path, *urls), "--once")
    assert result.returncode == 2
    assert f"--once needs file sources only; these cameras are live streams: {streams}" in message(result)
    assert not (tmp_path / "gridwatch-edge").exists()  # no outbox made, no model loaded


def test_an_unknown_model_exits_2_naming_it(tmp_path: Path) -> None:
    config = config_file(tmp_path, "clip.mp4")
    raw = yaml.safe_load(config.read_text())
    raw["cameras"][0]["detector"] = {"model": "no-such-model"}
    config.write_text(yaml.safe_dump(raw))
    result = edge_run(config, "--once")
    assert result.returncode == 2
    assert "unknown model 'no-such-model'" in message(result)


def test_once_with_sensors_exits_2(tmp_path: Path) -> None:
    example = yaml.safe_load((REPO / "configs" / "edge.sensors.example.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "sensors.yaml"
    path.write_text(yaml.safe_dump(example), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(path), "--once"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "MQTT sensors are live feeds" in result.stderr


@pytest.mark.slow
def test_once_on_a_truncated_file_exits_2_naming_the_camera(tmp_path: Path) -> None:
    """Issue 11 case 7: a cut copy of the person clip is an error, not a finished file."""
    default_model()
    data = PERSON_CLIP.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 3])
    config = config_file(tmp_path, str(truncated), drain_timeout_s=0, http={"port": 0})
    result = edge_run(config, "--once")
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"camera cam-0 failed: video file {truncated} ends after frame" in message(result)
    assert "truncated or corrupt" in message(result)


@pytest.mark.slow
def test_edge_run_logs_one_line_per_alert_and_no_request_lines(
    tmp_path: Path, centre: CentreApi, seeded: Seeded
) -> None:
    default_model()
    centre.start()
    rules = {
        "zones": [{"name": "room", "points": [[0, 0], [768, 0], [768, 432], [0, 432]]}],
        "rules": [{"type": "intrusion", "id": "room", "zone": "room", "classes": ["person"]}],
    }
    config = config_file(tmp_path, str(PERSON_CLIP), api={"url": centre.url, "token": seeded.device_token})
    raw = yaml.safe_load(config.read_text())
    raw["cameras"][0].update(detect_fps=2, rules=rules)
    config.write_text(yaml.safe_dump(raw))
    result = edge_run(config, "--once")
    assert result.returncode == 0, result.stderr[-3000:]
    alert_lines = [line for line in result.stderr.splitlines() if "INFO edge.pipeline: camera cam-0:" in line]
    totals = re.search(r"alerts delivered to the centre: (\d+)", result.stderr)
    assert totals is not None, result.stderr[-2000:]
    delivered = int(totals[1])
    assert delivered > 0
    assert len(alert_lines) == delivered == centre.alert_total()
    assert "HTTP Request" not in result.stderr
