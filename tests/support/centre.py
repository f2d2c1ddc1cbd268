"""A real central API for end-to-end tests: `gridwatch api serve` on a free 127.0.0.1 port.

The server runs through `tests.support.offline`, so it resolves and reaches loopback only.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app as api_cli
from tests.api.builders import demo_source_rows
from tests.support.processes import stop_process

REPO = Path(__file__).resolve().parents[2]
CENTRE = REPO / "configs" / "centre.example.yaml"
GRIDS = REPO / "configs" / "demo-county-grids.geojson"
DEVICE = "edge-test"
TEST_SOURCES = (
    ("cam-0", "camera"), ("cam-1", "camera"), ("cam-room", "camera"), ("cam-lot", "camera"),
    ("cam-rtsp", "camera"),
    ("room", "camera"), ("gate", "camera"), ("clip", "camera"), ("presence", "camera"), ("p", "camera"),
    ("t", "camera"), ("32010200001320000001", "camera"),
    ("wl-1", "sensor"), ("smoke-school-01", "sensor"), ("gas-kitchen-01", "sensor"), ("smoke-1", "sensor"),
    ("door", "sensor"), ("door-1", "sensor"),
)  # fmt: skip
"""The cameras and sensors of the test box `DEVICE` that the seed registers in the demo cell DX-T01-V01-C001
(where the edge tests' configs put them); a test that places a source elsewhere registers it itself."""
WAIT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Poll until `condition()` holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.05)


def api_admin(*args: str, database: Path) -> str:
    """Run a `gridwatch api` admin command on `database`; its standard output."""
    result = CliRunner().invoke(
        api_cli, [*args, "--database-url", f"sqlite:///{database}", "--centre-config", str(CENTRE)]
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def register_sources(rows: list[dict[str, object]], *, database: Path) -> None:
    """`gridwatch api import-sources` of these rows into `database` (a box's cameras and sensors)."""
    sources = database.with_name(f"{database.stem}-sources-{len(rows)}.yaml")
    sources.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    api_admin("import-sources", str(sources), database=database)


@dataclass(frozen=True)
class Seeded:
    """A prepared database file and the tokens in it."""

    database: Path
    device_token: str
    user_token: str


def seed(database: Path) -> Seeded:
    """The demo grids, device `edge-test` and a supervisor in a new database file."""
    api_admin("import-grids", str(GRIDS), database=database)
    device_token = api_admin("add-device", DEVICE, database=database)
    rows = [
        {"box_id": DEVICE, "source_id": s, "kind": k, "lon": 118.702, "lat": 32.002} for s, k in TEST_SOURCES
    ]
    named = {s for s, _ in TEST_SOURCES}
    register_sources(
        rows + [r for r in demo_source_rows(DEVICE) if r["source_id"] not in named], database=database
    )
    user_token = api_admin("add-user", "sup", "--role", "supervisor", database=database)
    return Seeded(database, device_token, user_token)


class CentreApi:
    """`gridwatch api serve` on a free port of 127.0.0.1 with its own copy of the database; `env` adds
    settings (`GRIDWATCH_API_...`) to the server's environment."""

    def __init__(self, seeded: Seeded, folder: Path, env: Mapping[str, str] | None = None) -> None:
        self.database = folder / "centre.db"
        shutil.copyfile(seeded.database, self.database)
        self.user_token = seeded.user_token
        self.device_token = seeded.device_token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "api.log"
        self._env = {**os.environ, **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "tests.support.offline", "api", "serve", "--port", str(self.port),
            "--database-url", f"sqlite:///{self.database}", "--centre-config", str(CENTRE),
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=self._env
            )
        wait_for(self._healthy, f"the API to answer /healthz (log: {self.log})")

    def _healthy(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            pytest.fail(f"the API exited with {self._process.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def pid(self) -> int:
        """The server's process id (for /proc)."""
        assert self._process is not None
        return self._process.pid

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_process(process, grace_s=20)

    def revoke(self, device_id: str) -> None:
        api_admin("revoke-device", device_id, database=self.database)

    def alert_total(self) -> int:
        """Alerts the centre holds, summed over the events' counts (safe to poll while alerts flow)."""
        headers = {"Authorization": f"Bearer {self.user_token}"}
        page = httpx.get(f"{self.url}/v1/events", params={"limit": 500}, headers=headers, timeout=10)
        page.raise_for_status()
        return sum(int(event["alert_count"]) for event in page.json()["items"])

    def alert_ids(self) -> list[str]:
        """Every alert id the centre holds, through the events a supervisor sees (one per alert)."""
        headers = {"Authorization": f"Bearer {self.user_token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as client:
            page = client.get("/v1/events", params={"limit": 500})
            page.raise_for_status()
            events = page.json()["items"]
            found: list[str] = []
            for event in events:
                detail = client.get(f"/v1/events/{event['code']}")
                detail.raise_for_status()
                alerts = [a["alert_id"] for a in detail.json()["alerts"]]
                assert len(alerts) == event["alert_count"], event
                found += alerts
        return found

    def posted(self) -> dict[str, float]:
        """Alerts the API took, by outcome (opened, joined, replay), from its /metrics."""
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        found = re.findall(r'^gridwatch_alerts_total\{outcome="(\w+)"\} (\S+)$', text, re.MULTILINE)
        return {outcome: float(value) for outcome, value in found}
