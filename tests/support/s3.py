"""An S3-compatible server on 127.0.0.1 for the store tests: moto's server mode.

moto is an emulator of the S3 API (written for tests), not a production object store: no real MinIO
can run here (no PyPI or Debian package ships its server; Debian's Ceph RGW needs a whole Ceph
cluster). The S3 store speaks plain S3 through the `minio` client; these tests check it against
moto's implementation of the protocol (signatures, ranges, multipart, listing).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.centre import free_port, wait_for


class S3Server:
    """`python -m moto.server` on a free loopback port, stopped by `stop()`."""

    ACCESS_KEY = "gridwatch-test"
    SECRET_KEY = "gridwatch-test-secret"

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self._log = log
        with log.open("ab") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._up, f"the S3 server on {self.endpoint} (log: {log})", timeout_s=60)

    def _up(self) -> bool:
        try:
            return httpx.get(f"http://{self.endpoint}/", timeout=2).status_code < 500
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Stop the server."""
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=20)
