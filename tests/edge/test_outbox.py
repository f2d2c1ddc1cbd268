"""The SQLite outbox: what is put stays until delivered, once per alert id, oldest first, across crashes."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.outbox import Outbox
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
from edge.outbox import Outbox
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
