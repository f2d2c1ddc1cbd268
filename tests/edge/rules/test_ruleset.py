"""RuleSet: several rules on one stream, reset, and time going back."""

from __future__ import annotations

import logging

import pytest

from gridwatch.contracts import AlertKind
from tests.edge.rules.builders import build, frame, run


def test_rules_run_together_on_the_same_frames() -> None:
    rules = build(
        {"id": "in", "type": "intrusion", "zone": "z", "min_frames": 1},
        {"id": "cross", "type": "line_crossing", "line": "l"},
        {"id": "off", "type": "intrusion", "zone": "z", "enabled": False},
    )
    walk = [frame(("person", 200.0, float(y), 4)) for y in (50, 150, 250, 350)]
    hits = run(rules, walk)
    assert [(hit.rule_id, hit.kind, hit.frame_index) for hit in hits] == [
        ("in", AlertKind.INTRUSION, 1),
        ("cross", AlertKind.LINE_CROSSING, 2),
    ]


def test_time_going_back_resets_state(caplog: pytest.LogCaptureFixture) -> None:
    rules = build({"id": "in", "type": "intrusion", "zone": "z", "min_frames": 1, "cooldown_s": 100.0})
    inside = frame(("person", 200.0, 200.0, 1))
    assert len(rules.evaluate(inside, t=50.0, frame_index=250)) == 1
    with caplog.at_level(logging.WARNING, logger="edge.rules.ruleset"):
        hits = rules.evaluate(inside, t=0.0, frame_index=0)  # a new source started over
    assert len(hits) == 1
    assert "stream time went back" in caplog.text


def test_empty_frames_and_detections_without_tracks() -> None:
    rules = build({"id": "in", "type": "intrusion", "zone": "z", "min_frames": 1})
    untracked = frame(("person", 200.0, 200.0, 1))
    untracked.tracker_id = None
    assert run(rules, [frame(), untracked]) == []
    assert rules.state_size == 0
