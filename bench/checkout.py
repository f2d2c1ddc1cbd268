"""Benchmarks of this checkout against another one (`--baseline`): run code of either checkout in its
own process, read a process's CPU time, compare the medians.

Only the standard library here: a child that imports another checkout's packages imports this
module first (`use_checkout`), before anything of GridWatch.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads), from `/proc/<pid>/stat`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def code_env(checkout: Path, **extra: str) -> dict[str, str]:
    """This process's environment with `checkout`'s packages first on `PYTHONPATH`."""
    return {**os.environ, "PYTHONPATH": str(checkout), **extra}


def use_checkout(checkout: Path) -> None:
    """In a child process: import GridWatch's packages from `checkout` from here on. It replaces the
    running script's checkout on `sys.path`, and the `bench` package already imported (this module's)
    is forgotten, so `bench.api` is `checkout`'s own."""
    here = str(Path(__file__).resolve().parents[1])
    sys.path[:] = [str(checkout)] + [p for p in sys.path if p != here]
    for name in [n for n in sys.modules if n == "bench" or n.startswith("bench.")]:
        del sys.modules[name]


def run_json(checkout: Path, command: list[str], **extra_env: str) -> dict[str, Any]:
    """Run `command` in `checkout` (working directory, its packages first) and parse the JSON object
    on its last line of output."""
    out = subprocess.run(
        command, cwd=checkout, env=code_env(checkout, **extra_env), check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def commit_of(checkout: Path) -> str:
    """The short commit `checkout` has checked out ("?" outside git)."""
    command = ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    return out.stdout.strip() or "?"


def compared(baseline: list[float], current: list[float], digits: int = 3) -> dict[str, float]:
    """Medians of a figure on both sides and their ratio (current / baseline)."""
    old, new = statistics.median(baseline), statistics.median(current)
    return {"baseline": round(old, digits), "current": round(new, digits), "ratio": round(new / old, 3)}
