"""The clips' side of the outbox: one durable row per clip, from recording to accepted by the centre.

It lives in the outbox's SQLite file (`outbox.db`, WAL, `synchronous=FULL`) in a table of its own, so
an alert and its clip survive the same crash the same way; the alert rows are never held back by a
clip. States: `recording` (the fragmented `.part` file grows), `ready` (finished, hashed, waiting to
be sent), `sent` (the centre holds it whole), `parked` (refused by the centre; kept until an operator
retries it: `gridwatch edge outbox clips-retry`), `failed` (nothing usable was recorded, or dropped).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from gridwatch.contracts import ClipInfo

SCHEMA = """
CREATE TABLE IF NOT EXISTS clips (
    alert_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    state TEXT NOT NULL,
    part_path TEXT NOT NULL,
    path TEXT NOT NULL,
    alert_t REAL NOT NULL,
    observed_at TEXT NOT NULL,
    buffer TEXT NOT NULL,
    first_t REAL,
    info TEXT,
    sent_bytes INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_try REAL NOT NULL DEFAULT 0,
    queued_at REAL NOT NULL,
    ready_at REAL,
    sent_at REAL
);
CREATE INDEX IF NOT EXISTS clips_state ON clips (state, next_try);
"""


class ClipState(StrEnum):
    """Where a clip is on its way to the centre."""

    RECORDING = "recording"
    READY = "ready"
    SENT = "sent"
    PARKED = "parked"
    """The centre refused it again and again (size, hash, token): kept, sent only when retried."""
    FAILED = "failed"


@dataclass(frozen=True)
class ClipRecord:
    """One clip row."""

    alert_id: str
    source_id: str
    state: ClipState
    part_path: Path
    path: Path
    alert_t: float
    observed_at: datetime
    buffer: str
    first_t: float | None
    info: ClipInfo | None
    sent_bytes: int
    attempts: int
    last_error: str | None


class ClipQueue:
    """Durable clip jobs and deliveries; every call commits before it returns; thread-safe.

    Example:
        >>> queue = ClipQueue(data_dir / "outbox.db")
        >>> queue.recording(alert_id, source_id="cam-1", part=..., final=..., alert_t=12.3, ...)
        >>> queue.ready(alert_id, info)
        >>> [c.alert_id for c in queue.due(time.time(), 1)]
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def recording(
        self,
        alert_id: str,
        *,
        source_id: str,
        part: Path,
        final: Path,
        alert_t: float,
        observed_at: datetime,
        buffer: str,
    ) -> bool:
        """Record that a clip job opened; False when this alert already has a clip (a replayed file).

        An alert whose earlier clip got nothing recorded (`failed`: the box died before the first
        packet was written) is recorded afresh when it comes again.
        """
        values = (
            source_id,
            ClipState.RECORDING.value,
            str(part),
            str(final),
            alert_t,
            observed_at.isoformat(),
            buffer,
            time.time(),
        )
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "UPDATE clips SET source_id = ?, state = ?, part_path = ?, path = ?, alert_t = ?, "
                    "observed_at = ?, buffer = ?, queued_at = ?, first_t = NULL, info = NULL, "
                    "last_error = NULL WHERE alert_id = ? AND state = ?",
                    (*values, alert_id, ClipState.FAILED.value),
                )
                if cursor.rowcount == 0:
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO clips (source_id, state, part_path, path, alert_t, "
                        "observed_at, buffer, queued_at, alert_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*values, alert_id),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return cursor.rowcount == 1

    def started(self, alert_id: str, first_t: float) -> None:
        """The clip's first frame is at `first_t` on the camera's clip clock."""
        self._update("UPDATE clips SET first_t = ? WHERE alert_id = ?", (first_t, alert_id))

    def ready(self, alert_id: str, info: ClipInfo) -> None:
        """The file is finished and hashed: send it."""
        self._update(
            "UPDATE clips SET state = ?, info = ?, ready_at = ?, next_try = 0 WHERE alert_id = ?",
            (ClipState.READY.value, info.model_dump_json(), time.time(), alert_id),
        )

    def failed(self, alert_id: str, error: str) -> None:
        """Nothing usable was recorded (kept, with the reason, for the record)."""
        self._update(
            "UPDATE clips SET state = ?, last_error = ? WHERE alert_id = ?",
            (ClipState.FAILED.value, error[:500], alert_id),
        )

    def progress(self, alert_id: str, sent_bytes: int) -> None:
        """The centre holds `sent_bytes` of the file."""
        self._update("UPDATE clips SET sent_bytes = ? WHERE alert_id = ?", (sent_bytes, alert_id))

    def retry_at(self, alert_id: str, when: float, error: str) -> None:
        """A delivery attempt failed; try again at `when` (epoch seconds)."""
        self._update(
            "UPDATE clips SET attempts = attempts + 1, last_error = ?, next_try = ? WHERE alert_id = ?",
            (error[:500], when, alert_id),
        )

    def sent(self, alert_id: str) -> None:
        """The centre holds the whole clip."""
        self._update(
            "UPDATE clips SET state = ?, sent_at = ?, last_error = NULL WHERE alert_id = ?",
            (ClipState.SENT.value, time.time(), alert_id),
        )

    def park(self, alert_id: str, reason: str) -> None:
        """The centre keeps refusing this clip: stop sending it until an operator retries it."""
        self._update(
            "UPDATE clips SET state = ?, last_error = ? WHERE alert_id = ?",
            (ClipState.PARKED.value, reason[:500], alert_id),
        )

    def retry(self, alert_ids: list[str]) -> list[str]:
        """Send these parked (or waiting) clips again now; returns the ids that were changed."""
        changed = []
        for alert_id in alert_ids:
            with self._lock:
                cursor = self._db.execute(
                    "UPDATE clips SET state = ?, next_try = 0 WHERE alert_id = ? AND state IN (?, ?)",
                    (ClipState.READY.value, alert_id, ClipState.PARKED.value, ClipState.READY.value),
                )
            if cursor.rowcount:
                changed.append(alert_id)
        return changed

    def unsent(self) -> list[ClipRecord]:
        """Every clip not at the centre yet (recording, ready, parked, failed), oldest first."""
        return self._select("state != ? ORDER BY queued_at", (ClipState.SENT.value,))

    def forget(self, alert_id: str) -> None:
        """Remove a delivered clip's row (its file is gone)."""
        self._update("DELETE FROM clips WHERE alert_id = ?", (alert_id,))

    def pending_bytes(self) -> int:
        """Bytes of finished clips not yet at the centre."""
        with self._lock:
            rows = self._db.execute(
                "SELECT info FROM clips WHERE state = ?", (ClipState.READY.value,)
            ).fetchall()
        return sum(ClipInfo.model_validate_json(info).size for (info,) in rows if info)

    def due(self, now: float, limit: int) -> list[ClipRecord]:
        """Ready clips whose next try has come, oldest first."""
        return self._select(
            "state = ? AND next_try <= ? ORDER BY queued_at LIMIT ?", (ClipState.READY.value, now, limit)
        )

    def in_state(self, state: ClipState) -> list[ClipRecord]:
        """Every clip in `state`, oldest first."""
        return self._select("state = ? ORDER BY queued_at", (state.value,))

    def get(self, alert_id: str) -> ClipRecord | None:
        """One clip row."""
        rows = self._select("alert_id = ?", (alert_id,))
        return rows[0] if rows else None

    def sent_before(self, cutoff: float) -> list[ClipRecord]:
        """Clips the centre accepted before `cutoff` (their files may go)."""
        return self._select("state = ? AND sent_at < ?", (ClipState.SENT.value, cutoff))

    def counts(self) -> dict[str, int]:
        """Clips per state."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM clips GROUP BY state").fetchall()
        counts = {state.value: 0 for state in ClipState}
        counts.update({state: int(n) for state, n in rows})
        return counts

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _update(self, sql: str, args: tuple[object, ...]) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def _select(self, where: str, args: tuple[object, ...]) -> list[ClipRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT alert_id, source_id, state, part_path, path, alert_t, observed_at, buffer, first_t, "
                f"info, sent_bytes, attempts, last_error FROM clips WHERE {where}",
                args,
            ).fetchall()
        return [_record(row) for row in rows]


def _record(row: tuple[object, ...]) -> ClipRecord:
    alert_id, source_id, state, part, path, alert_t, observed, buffer, first_t, info, sent, attempts, err = (
        row
    )
    return ClipRecord(
        alert_id=str(alert_id),
        source_id=str(source_id),
        state=ClipState(str(state)),
        part_path=Path(str(part)),
        path=Path(str(path)),
        alert_t=float(str(alert_t)),
        observed_at=datetime.fromisoformat(str(observed)),
        buffer=str(buffer),
        first_t=None if first_t is None else float(str(first_t)),
        info=None if info is None else ClipInfo.model_validate_json(str(info)),
        sent_bytes=int(str(sent)),
        attempts=int(str(attempts)),
        last_error=None if err is None else str(err),
    )
