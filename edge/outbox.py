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

from pydantic import BaseModel, ConfigDict, Field

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
CREATE TABLE IF NOT EXISTS dropped (
    alert_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    queued_at REAL NOT NULL,
    dropped_at REAL NOT NULL,
    reason TEXT NOT NULL
);
"""

EVICTABLE = ("low", "medium")
"""Severities that may be dropped when the outbox is full; high and critical never are."""


class OutboxConfig(BaseModel):
    """How big the outbox may grow and how long delivered alerts are remembered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_pending: int = Field(
        default=50_000,
        ge=1,
        description="Undelivered alerts kept; beyond it the oldest low/medium one is dropped",
    )
    keep_delivered_s: float = Field(
        default=7 * 86400, ge=0, description="Delivered alerts are kept this long (ids stay deduplicated)"
    )


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

    def __init__(self, path: Path, config: OutboxConfig | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.config = config or OutboxConfig()
        self._deliveries = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def put(self, alert: Alert) -> bool:
        """Store an alert durably (committed before returning); False when its id is already known.

        When more than `max_pending` alerts wait, the oldest pending low-severity alert (then the
        oldest medium) is dropped, recorded in the `dropped` table and logged as an error. High and
        critical alerts are never dropped: with nothing else to drop the outbox grows past its bound.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO outbox (alert_id, source_id, severity, body, queued_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        alert.alert_id,
                        alert.source_id,
                        alert.severity.value,
                        alert.model_dump_json(),
                        time.time(),
                    ),
                )
                if cursor.rowcount == 1:
                    self._enforce_bound()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return cursor.rowcount == 1

    def _enforce_bound(self) -> None:
        (pending,) = self._db.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").fetchone()
        if pending <= self.config.max_pending:
            return
        victim = self._db.execute(
            "SELECT seq, alert_id, source_id, severity, queued_at FROM outbox WHERE delivered_at IS NULL "
            "AND severity IN (?, ?) ORDER BY CASE severity WHEN 'low' THEN 0 ELSE 1 END, seq LIMIT 1",
            EVICTABLE,
        ).fetchone()
        if victim is None:
            bound = self.config.max_pending
            logger.error(
                "outbox holds %d undelivered high/critical alerts, over its bound of %d", pending, bound
            )
            return
        seq, alert_id, source_id, severity, queued_at = victim
        self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
        self._db.execute(
            "INSERT INTO dropped VALUES (?, ?, ?, ?, ?, ?)",
            (
                alert_id,
                source_id,
                severity,
                queued_at,
                time.time(),
                f"outbox full ({self.config.max_pending})",
            ),
        )
        logger.error(
            "outbox full (%d pending): dropped %s alert %s of %s", pending, severity, alert_id, source_id
        )

    def dropped(self) -> int:
        """Alerts dropped because the outbox was full."""
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM dropped").fetchone()
        return int(count)

    def pending(self, limit: int) -> list[Pending]:
        """The oldest undelivered alerts."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, body, attempts FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [Pending(seq, Alert.model_validate_json(body), attempts) for seq, body, attempts in rows]

    def delivered(self, seq: int) -> None:
        """Mark one alert as accepted by the centre; now and then forget old delivered ones."""
        now = time.time()
        with self._lock:
            self._db.execute("UPDATE outbox SET delivered_at = ? WHERE seq = ?", (now, seq))
            self._deliveries += 1
            if self._deliveries % 500 == 0:
                cutoff = now - self.config.keep_delivered_s
                self._db.execute(
                    "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?", (cutoff,)
                )

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
