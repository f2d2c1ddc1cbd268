"""`gridwatch api serve` end to end: a real server process on 127.0.0.1, real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.builders import REPO, cell_center, demo_source_rows, make_alert

SERVE = "from api.cli import app; app()"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A fresh SQLite database with the demo county and edge-01, served on a free port."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    runner = CliRunner()
    imported = runner.invoke(
        cli, ["import-grids", str(REPO / "configs" / "demo-county-grids.geojson"), "--database-url", url]
    )
    assert imported.exit_code == 0, imported.output
    token = runner.invoke(cli, ["add-device", "edge-01", "--database-url", url]).output.strip()
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(demo_source_rows("edge-01")), encoding="utf-8")
    assert runner.invoke(cli, ["import-sources", str(sources), "--database-url", url]).exit_code == 0
    port = _free_port()
    args = [sys.executable, "-c", SERVE, "serve", "--port", str(port), "--database-url", url]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc)
        yield base, token
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("server did not become healthy within 30 s")


@pytest.mark.slow
def test_serve_accepts_alerts_over_real_http(served: tuple[str, str]) -> None:
    base, token = served
    alert = make_alert("e2e-1", at=cell_center(1, 2, 3))
    headers = {"Authorization": f"Bearer {token}"}
    first = httpx.post(f"{base}/v1/alerts", json=alert, headers=headers, timeout=10)
    again = httpx.post(f"{base}/v1/alerts", json=alert, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["cell_code"] == "DX-T01-V02-C003"
    assert httpx.get(f"{base}/healthz", timeout=5).json()["cells"] == 48
    assert "gridwatch_alerts_total" in httpx.get(f"{base}/metrics", timeout=5).text
