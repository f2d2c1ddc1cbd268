"""The SQLite outbox: what is put stays until delivered, once per alert id, oldest first, across crashes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.outbox import AlertState, Outbox
from tests.edge.builders import make_alert

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "data" / "outbox.db")
    yield box
    box.close()


def ids(box: Outbox, limit: int = 100) -> list[str]:
    return [p.alert.alert_id for p in box.pending(limit)]


def test_an_empty_outbox(outbox: Outbox) -> None:
    assert outbox.path.is_file()
    assert (outbox.depth(), outbox.counts(), outbox.pending(10)) == (0, {"pending": 0, "delivered": 0}, [])


def test_put_pending_delivered_and_counts(outbox: Outbox) -> None:
    alerts = [make_alert(f"a-{k}") for k in range(5)]
    assert [outbox.put(a) for a in alerts] == [True] * 5
    pending = outbox.pending(10)
    assert [p.alert for p in pending] == alerts  # the whole alert comes back, equal field by field
    assert [p.attempts for p in pending] == [0] * 5
    outbox.delivered(pending[1].seq)
    outbox.delivered(pending[3].seq)
    assert ids(outbox) == ["a-0", "a-2", "a-4"]
    assert outbox.depth() == 3
    assert outbox.counts() == {"pending": 3, "delivered": 2}


def test_pending_is_oldest_first_and_limited(outbox: Outbox) -> None:
    names = ["z-last-by-name", "m", "a-first-by-name", "q"]
    for name in names:
        outbox.put(make_alert(name))
    assert ids(outbox) == names
    assert ids(outbox, limit=2) == names[:2]
    seqs = [p.seq for p in outbox.pending(10)]
    assert seqs == sorted(seqs)


def test_the_same_alert_id_is_stored_once(outbox: Outbox) -> None:
    first = make_alert("dup-1")
    assert outbox.put(first) is True
    assert outbox.put(make_alert("dup-1")) is False  # a retry, even with another time stamp
    assert outbox.depth() == 1
    outbox.delivered(outbox.pending(1)[0].seq)
    assert outbox.put(first) is False  # delivered ones are not queued again either
    assert outbox.counts() == {"pending": 0, "delivered": 1}


def test_failed_attempts_are_counted_and_the_alert_stays(outbox: Outbox) -> None:
    outbox.put(make_alert("f-1"))
    outbox.put(make_alert("f-2"))
    first = outbox.pending(1)[0]
    outbox.failed(first.seq, "HTTP 503: busy")
    outbox.failed(first.seq, "ConnectError: refused")
    assert [(p.alert.alert_id, p.attempts) for p in outbox.pending(10)] == [("f-1", 2), ("f-2", 0)]
    assert outbox.depth() == 2


def test_undelivered_alerts_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path)
    for k in range(3):
        box.put(make_alert(f"r-{k}"))
    box.delivered(box.pending(1)[0].seq)
    box.close()
    again = Outbox(path)
    try:
        assert ids(again) == ["r-1", "r-2"]
        assert again.counts() == {"pending": 2, "delivered": 1}
        assert again.put(make_alert("r-0")) is False  # still remembered as delivered
    finally:
        again.close()


CHILD = """
import os, signal, sys
from pathlib import Path
from edge.outbox import AlertState, Outbox
from gridwatch.contracts import Alert
box = Outbox(Path(sys.argv[1]))
queued = box.put(Alert.model_validate_json(sys.stdin.read()))
print("queued" if queued else "not queued", flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit: as if the power went
"""


def test_an_alert_put_survives_a_sigkill_right_after_put_returned(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    before = Outbox(path)  # an earlier run left one undelivered alert
    before.put(make_alert("k-0"))
    before.close()
    alert = make_alert("k-1")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        input=alert.model_dump_json(),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.strip() == "queued"
    after = Outbox(path)
    try:
        assert [p.alert for p in after.pending(10)][1:] == [alert]
        assert ids(after) == ["k-0", "k-1"]
    finally:
        after.close()


OLD_SCHEMA = """
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL UNIQUE, source_id TEXT NOT NULL,
    severity TEXT NOT NULL, body TEXT NOT NULL, queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered_at REAL
);
CREATE INDEX outbox_pending ON outbox (delivered_at, seq);
CREATE TABLE dropped (
    alert_id TEXT NOT NULL, source_id TEXT NOT NULL, severity TEXT NOT NULL, queued_at REAL NOT NULL,
    dropped_at REAL NOT NULL, reason TEXT NOT NULL
);
"""


def test_an_outbox_of_the_previous_version_is_upgraded_and_keeps_its_alerts(tmp_path: Path) -> None:
    """The schema before parking and per-alert schedules, as boxes in the field have it."""
    path = tmp_path / "outbox.db"
    alert = make_alert("old-1")
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute(
            "INSERT INTO outbox (alert_id, source_id, severity, body, queued_at, attempts, last_error) "
            "VALUES (?, 'cam-1', 'high', ?, 0, 3, 'HTTP 503: busy')",
            (alert.alert_id, alert.model_dump_json()),
        )
    box = Outbox(path)
    try:
        [entry] = box.entries()
        assert (entry.alert_id, entry.state, entry.attempts, entry.reason) == (
            "old-1",
            AlertState.PENDING,
            3,
            "HTTP 503: busy",
        )
        assert [p.alert for p in box.due(10)] == [alert]
        box.park(box.due(1)[0].seq, "centre refused it: HTTP 422")
        assert (box.depth(), box.parked()) == (0, 1)
    finally:
        box.close()


def test_an_alert_waits_for_its_own_next_attempt(outbox: Outbox) -> None:
    for alert_id in ("w-1", "w-2"):
        outbox.put(make_alert(alert_id))
    first = outbox.pending(1)[0]
    outbox.failed(first.seq, "HTTP 500: boom", retry_in_s=60)
    assert [p.alert.alert_id for p in outbox.due(10)] == ["w-2"]  # w-1 is not due: the others go on
    assert [p.alert.alert_id for p in outbox.due(10, now=time.time() + 61)] == ["w-1", "w-2"]
    assert outbox.depth() == 2  # still to send: a drain waits for it


def test_the_stored_json_is_handed_out_as_it_is_without_parsing_it_again(outbox: Outbox) -> None:
    """`put` serialises once; `due` gives those bytes back (the publisher posts them unchanged)."""
    alert = make_alert("j-1")
    outbox.put(alert)
    with sqlite3.connect(outbox.path) as db:
        db.execute("UPDATE outbox SET body = json_set(body, '$.severity', 'extreme')")
        (stored,) = db.execute("SELECT body FROM outbox").fetchone()
    [item] = outbox.due(10)
    assert (item.alert_id, item.source_id, item.body) == ("j-1", alert.source_id, stored)
    assert outbox.parked() == 0  # a row this outbox stored is not validated again on every read


def test_a_row_stored_before_opening_is_checked_once(tmp_path: Path) -> None:
    """As after an upgrade: rows an earlier process stored are validated when first read, once."""
    before = Outbox(tmp_path / "outbox.db")
    before.put(make_alert("old-1"))
    before.put(make_alert("old-2"))
    before.close()
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        db.execute(
            "UPDATE outbox SET body = json_set(body, '$.severity', 'extreme') WHERE alert_id = 'old-1'"
        )
    after = Outbox(tmp_path / "outbox.db")
    try:
        assert [p.alert_id for p in after.due(10)] == ["old-2"]
        assert [e.alert_id for e in after.entries(state=AlertState.PARKED)] == ["old-1"]
        assert [p.alert.alert_id for p in after.due(10)] == ["old-2"]
    finally:
        after.close()
