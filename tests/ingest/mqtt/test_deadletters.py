"""The dead-letter store: one JSON line per refused message, the payload head in base64, rotation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.mqtt.deadletters import KEPT_BYTES, DeadLetterStore, dead_letter

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)


def test_each_dead_letter_is_one_line_with_reason_size_and_payload_head(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path / "dead.jsonl")
    store.add(dead_letter("gridwatch/sensors/x/gas", b"\xff" * 5000, "not JSON: invalid", NOW))
    store.add(dead_letter("gridwatch/sensors/y/gas", b"{}", "unknown sensor 'y'", NOW))
    store.close()
    lines = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(d["topic"], d["reason"], d["size"]) for d in lines] == [
        ("gridwatch/sensors/x/gas", "not JSON: invalid", 5000),
        ("gridwatch/sensors/y/gas", "unknown sensor 'y'", 2),
    ]
    assert base64.b64decode(lines[0]["payload_head_b64"]) == b"\xff" * KEPT_BYTES
    assert store.count == 2
    assert store.by_reason == {"not JSON": 1, "unknown sensor 'y'": 1}


def test_a_full_file_is_rotated_and_counting_goes_on(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path / "dead.jsonl", max_bytes=2000)
    for i in range(37):
        store.add(dead_letter("gridwatch/sensors/x/gas", b"x" * 100, f"reason {i}", NOW))
    store.close()
    current = (tmp_path / "dead.jsonl").read_text(encoding="utf-8").splitlines()
    previous = (tmp_path / "dead.jsonl.1").read_text(encoding="utf-8").splitlines()
    assert store.count == 37
    assert json.loads(current[-1])["reason"] == "reason 36"
    assert json.loads(previous[-1])["reason"] == f"reason {36 - len(current)}"
    assert len(current) + len(previous) < 37  # older files are gone
