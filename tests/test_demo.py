"""`gridwatch demo`, the README's first command, end to end: API + grids + edge worker → grid events."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.models import default_model


@pytest.mark.slow
def test_demo_prints_grid_events_with_evidence(tmp_path: Path) -> None:
    default_model()
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "demo", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    events = yaml.safe_load((out / "events.yaml").read_text(encoding="utf-8"))["events"]
    by_cell = {e["cell_code"]: e for e in events if e["type_code"] == "INTRUSION"}
    room = by_cell["DX-T01-V01-C001"]  # the room camera's cell: six people walk in, each leaves right
    assert room["alert_count"] >= 12  # six intrusions and six exit crossings correlate into one event
    assert room["grid_path"].startswith("/DXC/DX/DX-T01/DX-T01-V01/DX-T01-V01-C001")
    for event in events:
        assert re.fullmatch(r"DX-\d{8}-[A-Z_]+-\d{4}", event["code"])
        assert event["code"] in result.stdout
        evidence = Path(event["evidence_file"])
        assert evidence.read_bytes()[:2] == b"\xff\xd8"
    assert "alerts delivered to the centre" in result.stderr
    assert "still queued: 0" in result.stderr
