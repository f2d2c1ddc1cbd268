"""A real centre for the pipeline bench: `gridwatch api serve` on 127.0.0.1 with a SQLite database.

The database is prepared with the same admin commands an operator runs (`gridwatch api import-grids`,
`add-device`, `import-sources`): the demo county, the bench's edge box and its cameras `cam-0` ...
registered where the bench cameras stand, so the centre accepts and places their alerts.

Example:
    >>> with Centre(Path(tmp), cameras=8) as centre:  # doctest: +SKIP
    ...     run_trial(..., centre=centre)  # centre.url, centre.token
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx
import yaml

from tests.support.processes import stop_process

ROOT = Path(__file__).resolve().parents[1]
CENTRE_CONFIG = ROOT / "configs" / "centre.example.yaml"
GRIDS = ROOT / "configs" / "demo-county-grids.geojson"
DEVICE = "bench"
"""The device id of the bench's pipelines (`bench.pipeline_live`)."""
LOCATION = {"lon": 118.702, "lat": 32.002}
"""Where the bench cameras stand (`bench.pipeline.camera`): a cell of the demo county."""
START_S = 60.0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Centre:
    """`gridwatch api serve` on a free port of 127.0.0.1, its database and log in `folder`."""

    def __init__(self, folder: Path, *, cameras: int) -> None:
        self.folder = folder
        self.database = folder / "centre.db"
        self.cameras = cameras
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self._process: subprocess.Popen[bytes] | None = None

    def _admin(self, *args: str) -> str:
        command = [
            sys.executable, "-m", "gridwatch", "api", *args, "--database-url", f"sqlite:///{self.database}",
            "--centre-config", str(CENTRE_CONFIG),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"gridwatch api {args[0]} failed: {done.stderr[-2000:]}")
        return done.stdout.strip()

    def prepare(self) -> None:
        """The demo grids, the bench's box (its token kept) and its cameras."""
        self._admin("import-grids", str(GRIDS))
        self.token = self._admin("add-device", DEVICE).splitlines()[-1]
        rows = [
            {"box_id": DEVICE, "source_id": f"cam-{k}", "kind": "camera", **LOCATION}
            for k in range(self.cameras)
        ]
        sources = self.folder / "sources.yaml"
        sources.write_text(yaml.safe_dump(rows), encoding="utf-8")
        self._admin("import-sources", str(sources))

    def start(self) -> None:
        """Serve, and wait until /healthz answers 200."""
        command = [
            sys.executable, "-m", "gridwatch", "api", "serve", "--host", "127.0.0.1",
            "--port", str(self.port), "--database-url", f"sqlite:///{self.database}",
            "--centre-config", str(CENTRE_CONFIG),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with (self.folder / "api.log").open("ab") as log:
            self._process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_S
        while not self._healthy():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log_text = (self.folder / "api.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the centre did not start: {log_text}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Terminate the server (kill it if it does not go within 20 s)."""
        process, self._process = self._process, None
        stop_process(process, grace_s=20)

    def __enter__(self) -> Self:
        self.prepare()
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
