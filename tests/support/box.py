"""A real edge box for end-to-end tests: `gridwatch edge run --centre URL` on a free /healthz port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.support.centre import REPO, free_port, wait_for


class CentreBox:
    """`gridwatch edge run --centre URL --token T` in its own data folder; `log` holds its output."""

    def __init__(self, centre_url: str, token: str, folder: Path, *, poll_s: float = 1.0) -> None:
        self.centre_url, self.token, self.folder, self.poll_s = centre_url, token, folder, poll_s
        self.port = free_port()
        self.log = folder / "box.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "tests.support.offline", "edge", "run", "--centre", self.centre_url,
            "--data-dir", str(self.folder / "data"), "--http-port", str(self.port),
            "--poll-s", str(self.poll_s),
        ]  # fmt: skip
        env = {**os.environ, "GRIDWATCH_EDGE_TOKEN": self.token}
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)

    def health(self) -> dict[str, Any]:
        """The box's /healthz body ({} while it does not answer)."""
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(
                f"the box exited with {self._process.returncode}:\n{self.log.read_text()[-3000:]}"
            )
        try:
            body = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).json()
        except httpx.HTTPError:
            return {}
        assert isinstance(body, dict)
        return body

    def wait_version(self, version: int, cameras: set[str]) -> dict[str, Any]:
        """Wait until the box runs configuration `version` with exactly `cameras`, all streaming."""

        def running() -> bool:
            body = self.health()
            streaming = {k for k, v in body.get("cameras", {}).items() if v["state"] == "streaming"}
            return body.get("config", {}).get("version") == version and streaming == cameras

        wait_for(
            running, f"the box to run version {version} with cameras {sorted(cameras)} (log: {self.log})"
        )
        return self.health()

    def stop(self, *, kill: bool = False) -> int | None:
        """SIGTERM (drain) or SIGKILL; the exit status."""
        process, self._process = self._process, None
        if process is None:
            return None
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(timeout=20)
