"""A full outbox drops the oldest low, then medium, alert — never a high or critical one."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import OutboxConfig
from edge.outbox import Outbox
from gridwatch.contracts import Alert, Severity
from tests.edge.builders import make_alert


def alert(alert_id: str, severity: Severity) -> Alert:
    return make_alert(alert_id).model_copy(update={"severity": severity})


def ids(box: Outbox) -> list[str]:
    return [p.alert.alert_id for p in box.pending(100)]


@pytest.mark.parametrize(
    ("queued", "new", "left"),
    [
        # the oldest low goes first, even when a medium is older
        ([("m1", "medium"), ("l1", "low"), ("l2", "low")], ("h1", "high"), ["m1", "l2", "h1"]),
        # no low left: the oldest medium goes
        ([("m1", "medium"), ("h1", "high"), ("m2", "medium")], ("c1", "critical"), ["h1", "m2", "c1"]),
        # a new low alert pushes out the older low one
        ([("h1", "high"), ("l1", "low"), ("h2", "high")], ("l2", "low"), ["h1", "h2", "l2"]),
    ],
)
def test_full_outbox_drops_the_oldest_lowest_severity(
    tmp_path: Path, queued: list[tuple[str, str]], new: tuple[str, str], left: list[str]
) -> None:
    box = Outbox(tmp_path / "o.db", OutboxConfig(max_pending=3))
    for alert_id, severity in queued:
        assert box.put(alert(alert_id, Severity(severity)))
    assert box.put(alert(new[0], Severity(new[1])))
    assert ids(box) == left
    assert box.dropped() == 1
    assert box.depth() == 3


def test_high_and_critical_are_never_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    box = Outbox(tmp_path / "o.db", OutboxConfig(max_pending=2))
    for k, severity in enumerate(["high", "critical", "high", "critical"]):
        box.put(alert(f"a{k}", Severity(severity)))
    assert ids(box) == ["a0", "a1", "a2", "a3"]  # over the bound rather than losing one
    assert box.dropped() == 0
    assert any("over its bound" in r.getMessage() for r in caplog.records)


def test_drops_are_recorded_across_restarts(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", OutboxConfig(max_pending=1))
    box.put(alert("l1", Severity.LOW))
    box.put(alert("l2", Severity.LOW))
    box.close()
    again = Outbox(tmp_path / "o.db", OutboxConfig(max_pending=1))
    assert again.dropped() == 1
    assert ids(again) == ["l2"]
