"""A real centre for the accuracy benchmark: `gridwatch api serve` on SQLite on a free 127.0.0.1 port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.processes import stop_process

REPO = Path(__file__).resolve().parents[1]
CENTRE_CONFIG = REPO / "configs" / "centre.example.yaml"
GRIDS = REPO / "configs" / "demo-county-grids.geojson"
DEVICE = "bench-accuracy"


def _gridwatch(*args: str, database: Path) -> str:
    command = [sys.executable, "-m", "gridwatch", "api", *args, "--database-url", f"sqlite:///{database}",
               "--centre-config", str(CENTRE_CONFIG)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if result.returncode != 0:
        raise RuntimeError(f"gridwatch api {args[0]} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout.strip().splitlines()[-1].strip() if result.stdout.strip() else ""


class Centre:
    """A seeded database (demo grids, one edge box, one supervisor) and the API serving a copy of it.

    Example:
        >>> centre = Centre(folder)  # doctest: +SKIP
        >>> with centre.serving("run-1") as url: ...  # doctest: +SKIP
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seed = folder / "seed.db"
        _gridwatch("import-grids", str(GRIDS), database=self.seed)
        self.device_token = _gridwatch("add-device", DEVICE, database=self.seed)
        self.user_token = _gridwatch("add-user", "bench", "--role", "supervisor", database=self.seed)
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.database = self.seed

    def register(self, sources: Path) -> None:
        """Import a sources file (`gridwatch api import-sources`) into the database being served."""
        _gridwatch("import-sources", str(sources), database=self.database)

    def start(self, name: str) -> str:
        """Serve a fresh copy of the seeded database; the base URL."""
        database = self.folder / f"{name}.db"
        shutil.copyfile(self.seed, database)
        self.database = database
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        command = [sys.executable, "-m", "gridwatch", "api", "serve", "--port", str(port), "--database-url",
                   f"sqlite:///{database}", "--centre-config", str(CENTRE_CONFIG)]  # fmt: skip
        with (self.folder / f"{name}.log").open("ab") as log:
            self._process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        self._wait()
        return self.url

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"the centre exited with {self._process.returncode}; see {self.folder}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the centre did not answer /healthz within 60 s")

    def stop(self) -> None:
        """Stop the API process."""
        process, self._process = self._process, None
        stop_process(process, grace_s=20)
