"""A real `gridwatch api serve` for browser tests: demo grids, an edge box, console users with passwords."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import httpx
from typer.testing import CliRunner

from api.cli import app as api_cli
from tests.api.builders import cell_center
from tests.support.centre import CENTRE, GRIDS, REPO, free_port, wait_for
from tests.support.models import PERSON_CLIP

PASSWORD = "duty desk 2026"
USERS = {  # name: (role, scope)
    "sup": ("supervisor", None),
    "op1": ("operator", "DX-T01"),
    "op2": ("operator", "DX-T02"),
}


def _cli(database_url: str, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(
        api_cli, [*args, "--database-url", database_url, "--centre-config", str(CENTRE)], input=stdin
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def snapshot_jpeg() -> bytes:
    """A real frame of the person clip with a box drawn, as the edge sends it."""
    capture = cv2.VideoCapture(str(PERSON_CLIP))
    ok, frame = capture.read()
    capture.release()
    assert ok, f"cannot read {PERSON_CLIP}"
    cv2.rectangle(frame, (300, 120), (420, 400), (0, 255, 0), 2)
    cv2.putText(frame, "person 0.82", (300, 112), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 0), 2)
    ok, encoded = cv2.imencode(".jpg", frame)
    assert ok
    return bytes(encoded.tobytes())


class ConsoleCentre:
    """The served centre plus REST helpers for checking what the browser did."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "api.log"
        self.tokens: dict[str, str] = {}
        self.device_token = ""
        self.jpeg = snapshot_jpeg()
        self._process: subprocess.Popen[bytes] | None = None
        self._serial = 0
        self._sources: set[str] = set()

    def seed(self) -> None:
        """Migrate, import the demo county, register edge-01 and the console users."""
        _cli(self.database_url, "migrate")
        _cli(self.database_url, "import-grids", str(GRIDS))
        self.device_token = _cli(self.database_url, "add-device", "edge-01")
        for name, (role, scope) in USERS.items():
            args = ["add-user", name, "--role", role, "--password-stdin"] + (
                ["--scope", scope] if scope else []
            )
            self.tokens[name] = _cli(self.database_url, *args, stdin=PASSWORD + "\n")

    def start(self) -> None:
        command = [sys.executable, "-m", "gridwatch", "api", "serve", "--port", str(self.port),
                   "--database-url", self.database_url, "--centre-config", str(CENTRE)]  # fmt: skip
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, f"the API to answer /healthz (log: {self.log})")

    def _healthy(self) -> bool:
        assert self._process is not None
        assert self._process.poll() is None, self.log.read_text()[-3000:]
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> int:
        """Stop the server (SIGTERM); its exit code."""
        process, self._process = self._process, None
        if process is None:
            return 0
        process.terminate()
        return process.wait(timeout=30)

    def alert(self, *, township: int, village: int = 1, cell: int = 1, kind: str = "intrusion",
              severity: str = "high", **extra: Any) -> str:  # fmt: skip
        """POST an alert with a real snapshot through /v1/alerts; the code of its event."""
        self._serial += 1
        jpeg = self.jpeg
        source = self.source(township, village, cell)
        body = {
            "alert_id": f"b-{datetime.now(UTC).timestamp():.6f}-{self._serial}",
            "device_id": "edge-01", "source_id": source, "source_kind": "camera", "kind": kind,
            "severity": severity, "observed_at": datetime.now(UTC).isoformat(),
            "location": dict(zip(("lon", "lat"), cell_center(township, village, cell), strict=True)),
            "rule": "room-after-hours", "score": 0.82, "model": {"name": "yolov3-tiny-coco", "version": "1"},
            "evidence": {"snapshot_jpeg_b64": base64.b64encode(jpeg).decode(),
                         "snapshot_sha256": hashlib.sha256(jpeg).hexdigest(),
                         "boxes": [{"label": "person", "score": 0.82, "box": [300, 120, 420, 400]}]},
        } | extra  # fmt: skip
        reply = httpx.post(
            f"{self.url}/v1/alerts", json=body, headers=self._bearer(self.device_token), timeout=10
        )
        assert reply.status_code == 201, reply.text
        return str(reply.json()["event_code"])

    def source(self, township: int, village: int, cell: int) -> str:
        """The camera of edge-01 in that cell (a little off its centre, where the map's cell is
        clicked), registered at the centre on first use."""
        source = f"cam-room-{township}-{village}-{cell}"
        lon, lat = cell_center(township, village, cell)
        self.register(source, lon + 0.0012, lat + 0.0012)
        return source

    def register(self, source: str, lon: float, lat: float) -> None:
        """Register camera `source` of edge-01 at (lon, lat) unless it is registered already."""
        if source not in self._sources:
            _cli(self.database_url, "add-source", "edge-01", source, "--kind", "camera",
                 "--lon", str(lon), "--lat", str(lat))  # fmt: skip
            self._sources.add(source)

    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def event(self, code: str, user: str = "sup") -> dict[str, Any]:
        """The event's JSON detail as `user` sees it."""
        reply = httpx.get(f"{self.url}/v1/events/{code}", headers=self._bearer(self.tokens[user]), timeout=10)
        reply.raise_for_status()
        return dict(reply.json())

    def act(self, code: str, body: dict[str, Any], user: str = "sup") -> httpx.Response:
        """POST an action through the REST API."""
        url = f"{self.url}/v1/events/{code}/actions"
        return httpx.post(url, json=body, headers=self._bearer(self.tokens[user]), timeout=10)

    def verdicts(self, user: str = "sup") -> list[dict[str, Any]]:
        """Current verdicts as `user` sees them."""
        reply = httpx.get(f"{self.url}/v1/verdicts", headers=self._bearer(self.tokens[user]), timeout=10)
        reply.raise_for_status()
        return list(reply.json()["items"])
