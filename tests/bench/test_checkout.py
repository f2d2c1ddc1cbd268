"""The plumbing that runs benchmark code on another checkout (`--baseline`); nothing here is timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.checkout import compared, run_json

REPO = Path(__file__).resolve().parents[2]
WHERE = "import json, os, bench.api; print(json.dumps({'where': bench.api.WHERE, 'cwd': os.getcwd()}))"


def old_checkout(root: Path) -> Path:
    """A checkout whose `bench.api` says which it is."""
    (root / "bench").mkdir(parents=True)
    (root / "bench" / "__init__.py").write_text("")
    (root / "bench" / "api.py").write_text("WHERE = 'old'\n")
    return root


def test_run_json_runs_in_the_other_checkout_with_its_code(tmp_path: Path) -> None:
    old = old_checkout(tmp_path / "old")
    assert run_json(old, [sys.executable, "-c", WHERE]) == {"where": "old", "cwd": str(old)}


def test_use_checkout_switches_a_child_to_the_other_checkouts_bench(tmp_path: Path) -> None:
    old = old_checkout(tmp_path / "old")
    # As a bench's child starts: this checkout's `bench` already imported, then switched to `old`.
    switch = (
        f"from pathlib import Path; from bench.checkout import use_checkout; use_checkout(Path({str(old)!r}))"
    )
    child = f"{switch}; {WHERE}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", child], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["where"] == "old"


def test_compared_gives_medians_and_the_ratio_current_over_baseline() -> None:
    assert compared([2.0, 4.0, 100.0], [1.0, 2.0, 3.0]) == {"baseline": 4.0, "current": 2.0, "ratio": 0.5}
