"""Stopping a server process the tests or benchmarks started."""

from __future__ import annotations

import subprocess
from typing import Any


def stop_process(process: subprocess.Popen[Any] | None, grace_s: float = 20) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it has not ended within `grace_s`."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)
