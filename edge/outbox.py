"""A durable outbox on the edge box: every alert is on disk before anyone tries to send it.

SQLite in WAL mode; one row per alert with its JSON. `put` commits before it returns, so an alert
acknowledged as queued survives a crash. Delivery marks the row; undelivered rows come back
oldest first (per camera order is kept because ids grow with time).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from gridwatch.contracts import Alert

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL UNIQUE,
    source_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    body TEXT NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (delivered_at, seq);
"""


@dataclass(frozen=True)
class Pending:
    """An alert waiting to be delivered."""

    seq: int
    alert: Alert
    attempts: int


class Outbox:
    """The on-disk queue between the rules and the publisher.

    Example:
        >>> box = Outbox(tmp_path / "outbox.db")
        >>> box.put(alert)
        >>> [p.alert.alert_id for p in box.pending(10)]
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def put(self, alert: Alert) -> bool:
        """Store an alert durably; False when that alert id is already queued or delivered."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (alert_id, source_id, severity, body, queued_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (alert.alert_id, alert.source_id, alert.severity.value, alert.model_dump_json(), time.time()),
            )
        return cursor.rowcount == 1

    def pending(self, limit: int) -> list[Pending]:
        """The oldest undelivered alerts."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, body, attempts FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [Pending(seq, Alert.model_validate_json(body), attempts) for seq, body, attempts in rows]

    def delivered(self, seq: int) -> None:
        """Mark one alert as accepted by the centre."""
        with self._lock:
            self._db.execute("UPDATE outbox SET delivered_at = ? WHERE seq = ?", (time.time(), seq))

    def failed(self, seq: int, error: str) -> None:
        """Record a failed attempt."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?", (error[:500], seq)
            )

    def depth(self) -> int:
        """Alerts not delivered yet."""
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").fetchone()
        return int(count)

    def counts(self) -> dict[str, int]:
        """Queued (undelivered) and delivered totals."""
        with self._lock:
            pending, done = self._db.execute(
                "SELECT SUM(delivered_at IS NULL), SUM(delivered_at IS NOT NULL) FROM outbox"
            ).fetchone()
        return {"pending": int(pending or 0), "delivered": int(done or 0)}

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
