"""`gridwatch edge run --centre`: what it refuses before starting, and the cached copy on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge.centre_config import BoxSettings, CentreConfig, Version
from edge.config import ApiConfig, HttpConfig
from tests.support.centre import REPO, free_port


def edge_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.support.offline", "edge", "run", *args]
    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=120, env=env, check=False
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --config FILE"),
        (("--config", "x.yaml", "--centre", "http://127.0.0.1:9"), "give --config FILE"),
        (("--centre", "http://127.0.0.1:9"), "needs this box's device token"),
        (("--centre", "http://127.0.0.1:9", "--token-file", "/nonexistent/token"), "--token-file"),
    ],
)
def test_bad_usage_exits_2_naming_it(args: tuple[str, ...], message: str) -> None:
    run = edge_run(*args, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 2, run.stderr
    assert message in run.stderr


def test_no_centre_and_no_cached_copy_exits_2(tmp_path: Path) -> None:
    centre = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    run = edge_run("--centre", centre, "--token", "gwd_not-a-real-token", "--data-dir", str(tmp_path))
    assert run.returncode == 2
    assert "cannot reach" in run.stderr
    assert "no cached copy" in run.stderr


def test_the_cached_copy_is_written_whole_and_read_back(tmp_path: Path) -> None:
    settings = BoxSettings(
        api=ApiConfig(url="http://127.0.0.1:9", token="gwd_token-1"),
        data_dir=tmp_path,
        http=HttpConfig(port=0),
    )
    source = CentreConfig(settings)
    version = Version("edge-01", 4, '"v4-abc"', {"cameras": []}, "2026-11-28T12:00:00+00:00")
    source.save_cache(version)
    assert source.load_cache() == version
    assert sorted(p.name for p in tmp_path.iterdir()) == ["centre-config.json"]  # no partial file left
    assert (tmp_path / "centre-config.json").stat().st_mode & 0o777 == 0o600
    (tmp_path / "centre-config.json").write_text(json.dumps({"device_id": "edge-01"}))
    assert source.load_cache() is None
