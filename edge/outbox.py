"""A durable outbox on the edge box: every alert is on disk before anyone tries to send it.

SQLite in WAL mode; one row per alert with its JSON. `put` commits before it returns, so an alert
acknowledged as queued survives a crash. Delivery marks the row; undelivered rows come back
oldest first (per camera order is kept because ids grow with time).

Each alert has its own schedule: after a failed try the publisher sets its next attempt, and `due`
skips it until then, so one alert the centre keeps failing never holds back the others. An alert the
centre refused for good (or whose stored row no longer validates) is *parked* with its reason: kept,
never sent again by itself, shown in /healthz, /metrics and `gridwatch edge outbox list`, and sent
again or dropped by an operator (`retry`, `drop`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import ValidationError

from edge.config import OutboxConfig
from edge.outbox_schema import migrate
from gridwatch.contracts import Alert

logger = logging.getLogger(__name__)

EVICTABLE = ("low", "medium")
"""Severities that may be dropped when the outbox is full; high and critical never are."""


class AlertState(StrEnum):
    """Where an alert in the outbox stands."""

    PENDING = "pending"
    """To be sent (now, or at its next attempt)."""
    PARKED = "parked"
    """Refused for good; waits for an operator."""
    DELIVERED = "delivered"


@dataclass(frozen=True)
class Pending:
    """An alert waiting to be delivered: its JSON as stored, sent as it is."""

    seq: int
    alert_id: str
    source_id: str
    body: str
    """The alert's JSON, serialised once by `Outbox.put`."""
    attempts: int

    @cached_property
    def alert(self) -> Alert:
        """The alert parsed from `body` (for tools and tests; the publisher sends `body` as it is)."""
        return Alert.model_validate_json(self.body)


@dataclass(frozen=True)
class Entry:
    """One row as an operator sees it (`gridwatch edge outbox list`)."""

    alert_id: str
    kind: str
    severity: str
    state: AlertState
    attempts: int
    queued_at: datetime
    next_attempt_at: datetime | None
    reason: str
    """Why it is parked, else the last error; empty when there was none."""


UNDELIVERED = "delivered_at IS NULL"
SENDABLE = "delivered_at IS NULL AND parked_at IS NULL"
PARKED = "delivered_at IS NULL AND parked_at IS NOT NULL"
COLUMNS = "seq, alert_id, source_id, body, attempts"
"""The columns of a `Pending`, in its order."""
WHERE_STATE = {
    AlertState.PENDING: SENDABLE,
    AlertState.PARKED: PARKED,
    AlertState.DELIVERED: "delivered_at IS NOT NULL",
}


class Outbox:
    """The on-disk queue between the rules and the publisher.

    Example:
        >>> box = Outbox(tmp_path / "outbox.db")
        >>> box.put(alert)
        >>> [p.alert_id for p in box.due(10)]
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
        with self._transaction():
            migrate(self._db)
        # Rows stored before this outbox was opened (perhaps by an earlier version) are checked against
        # the contract once, when first read; rows `put` since came from an `Alert` and are not.
        self._unchecked = {seq for (seq,) in self._db.execute(f"SELECT seq FROM outbox WHERE {UNDELIVERED}")}

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error), under the lock."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def put(self, alert: Alert) -> bool:
        """Store an alert durably (committed before returning); False when its id is already known.

        When more than `max_pending` alerts wait, the oldest pending low-severity alert (then the
        oldest medium) is dropped, recorded in the `dropped` table and logged as an error. High and
        critical alerts are never dropped: with nothing else to drop the outbox grows past its bound.
        """
        row = (alert.alert_id, alert.source_id, alert.severity.value, alert.model_dump_json(), time.time())
        # The one serialisation of this alert: the publisher posts these bytes as they are.
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO outbox (alert_id, source_id, severity, body, queued_at) "
                "VALUES (?, ?, ?, ?, ?)",
                row,
            )
            if cursor.rowcount == 1:
                self._enforce_bound()
        return cursor.rowcount == 1

    def _enforce_bound(self) -> None:
        (pending,) = self._db.execute(f"SELECT COUNT(*) FROM outbox WHERE {UNDELIVERED}").fetchone()
        if pending <= self.config.max_pending:
            return
        victim = self._db.execute(
            f"SELECT seq, alert_id, source_id, severity, queued_at FROM outbox WHERE {UNDELIVERED} "
            "AND severity IN (?, ?) ORDER BY CASE severity WHEN 'low' THEN 0 ELSE 1 END, seq LIMIT 1",
            EVICTABLE,
        ).fetchone()
        if victim is None:
            bound = self.config.max_pending
            logger.error(
                "outbox holds %d undelivered high/critical alerts, over its bound of %d", pending, bound
            )
            return
        seq, alert_id, source_id, severity, _queued = victim
        self._remove(seq, f"outbox full ({self.config.max_pending})")
        logger.error(
            "outbox full (%d pending): dropped %s alert %s of %s", pending, severity, alert_id, source_id
        )

    def _remove(self, seq: int, reason: str) -> None:
        """Delete one undelivered row, recording it in `dropped` (inside a transaction)."""
        self._db.execute(
            "INSERT INTO dropped SELECT alert_id, source_id, severity, queued_at, ?, ? FROM outbox "
            "WHERE seq = ?",
            (time.time(), reason, seq),
        )
        self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def dropped(self) -> int:
        """Alerts dropped: because the outbox was full, or by an operator."""
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM dropped").fetchone()
        return int(count)

    def pending(self, limit: int) -> list[Pending]:
        """The oldest alerts still to send (whenever their next attempt is), parked ones left out."""
        return self._read(f"SELECT {COLUMNS} FROM outbox WHERE {SENDABLE} ORDER BY seq LIMIT ?",
                          (limit,))  # fmt: skip

    def due(self, limit: int, now: float | None = None) -> list[Pending]:
        """The oldest alerts whose next attempt has come (epoch seconds `now`, default: the clock)."""
        at = time.time() if now is None else now
        return self._read(
            f"SELECT {COLUMNS} FROM outbox WHERE {SENDABLE} "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY seq LIMIT ?",
            (at, limit),
        )

    def _read(self, query: str, args: tuple[float | int, ...]) -> list[Pending]:
        """Rows as they are stored; an older row that no longer parses as an alert is parked instead."""
        with self._lock:
            rows = [Pending(*row) for row in self._db.execute(query, args).fetchall()]
        return [row for row in rows if row.seq not in self._unchecked or self._check(row)]

    def _check(self, row: Pending) -> bool:
        """Whether a row stored before this outbox was opened still validates; parked when not."""
        self._unchecked.discard(row.seq)
        try:
            Alert.model_validate_json(row.body)
        except ValidationError as exc:
            reason = f"stored alert no longer validates: {_first_error(exc)}"
            logger.error("outbox row %d parked: %s", row.seq, reason)
            self.park(row.seq, reason)
            return False
        return True

    def delivered(self, seq: int) -> None:
        """Mark one alert as accepted by the centre; now and then forget old delivered ones."""
        now = time.time()
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET delivered_at = ?, next_attempt_at = NULL WHERE seq = ?", (now, seq)
            )
            self._deliveries += 1
            if self._deliveries % 500 == 0:
                cutoff = now - self.config.keep_delivered_s
                self._db.execute(
                    "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?", (cutoff,)
                )

    def failed(self, seq: int, error: str, *, retry_in_s: float | None = None) -> None:
        """Record a failed attempt; with `retry_in_s`, this alert is not due again before then."""
        at = None if retry_in_s is None else time.time() + retry_in_s
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE seq = ?",
                (error[:500], at, seq),
            )

    def park(self, seq: int, reason: str) -> None:
        """Keep an alert the centre will never take, with the reason; it is not sent again by itself."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET parked_at = ?, park_reason = ?, attempts = attempts + 1 WHERE seq = ?",
                (time.time(), reason[:500], seq),
            )

    def depth(self) -> int:
        """Alerts still to send (parked ones not counted)."""
        return self._count(SENDABLE)

    def parked(self) -> int:
        """Alerts parked: refused for good, waiting for an operator."""
        return self._count(PARKED)

    def _count(self, where: str) -> int:
        with self._lock:
            (count,) = self._db.execute(f"SELECT COUNT(*) FROM outbox WHERE {where}").fetchone()
        return int(count)

    def counts(self) -> dict[str, int]:
        """Queued (to send), parked and delivered totals."""
        with self._lock:
            pending, parked, done = self._db.execute(
                f"SELECT SUM({SENDABLE}), SUM({PARKED}), SUM(delivered_at IS NOT NULL) FROM outbox"
            ).fetchone()
        counts = {"pending": int(pending or 0), "delivered": int(done or 0)}
        return counts | ({"parked": int(parked)} if parked else {})

    def entries(self, *, state: AlertState | None = None, limit: int = 1000) -> list[Entry]:
        """Undelivered alerts (or those in `state`), oldest first, as an operator sees them."""
        where = UNDELIVERED if state is None else WHERE_STATE[state]
        with self._lock:
            rows = self._db.execute(
                "SELECT alert_id, body, severity, delivered_at, parked_at, attempts, queued_at, "
                f"next_attempt_at, COALESCE(park_reason, last_error, '') FROM outbox WHERE {where} "
                "ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [_entry(*row) for row in rows]

    def states(self, alert_ids: list[str]) -> dict[str, AlertState]:
        """The state of each of these alert ids that the outbox holds (unknown ones are left out)."""
        with self._lock:
            rows = [
                self._db.execute(
                    "SELECT alert_id, delivered_at, parked_at FROM outbox WHERE alert_id = ?", (alert_id,)
                ).fetchone()
                for alert_id in alert_ids
            ]
        return {
            alert_id: AlertState.DELIVERED
            if delivered
            else AlertState.PARKED
            if parked
            else AlertState.PENDING
            for alert_id, delivered, parked in (row for row in rows if row is not None)
        }

    def retry(self, alert_ids: list[str]) -> None:
        """Send these undelivered alerts again as soon as possible (unparks them, restarts backoff)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE outbox SET parked_at = NULL, park_reason = NULL, next_attempt_at = NULL, "
                f"attempts = 0 WHERE alert_id = ? AND {UNDELIVERED}",
                [(alert_id,) for alert_id in alert_ids],
            )

    def drop(self, alert_ids: list[str], reason: str) -> None:
        """Forget these undelivered alerts, recording each in `dropped` with `reason`."""
        with self._transaction() as db:
            for alert_id in alert_ids:
                row = db.execute(f"SELECT seq FROM outbox WHERE alert_id = ? AND {UNDELIVERED}", (alert_id,))
                for (seq,) in row.fetchall():
                    self._remove(seq, reason)

    def source_base(self, session: str, proposed: float) -> float:
        """The time base (epoch s) of a file source: `proposed` the first time, the stored one after."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO sources (session, base) VALUES (?, ?)", (session, proposed))
            (base,) = db.execute("SELECT base FROM sources WHERE session = ?", (session,)).fetchone()
        return float(base)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _entry(
    alert_id: str, body: str, severity: str, delivered_at: float | None, parked_at: float | None,
    attempts: int, queued_at: float, next_attempt_at: float | None, reason: str,
) -> Entry:  # fmt: skip
    state = AlertState.DELIVERED if delivered_at else AlertState.PARKED if parked_at else AlertState.PENDING
    nxt = None if next_attempt_at is None or state is not AlertState.PENDING else _time(next_attempt_at)
    return Entry(alert_id, _kind(body), severity, state, attempts, _time(queued_at), nxt, reason)


def _kind(body: str) -> str:
    """The alert's kind, read leniently (a parked row may not parse as an alert any more)."""
    try:
        kind = json.loads(body).get("kind")
    except (ValueError, AttributeError):
        return "?"
    return str(kind) if kind is not None else "?"


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "alert"
    return f"{where}: {first['msg']} ({exc.error_count()} error(s))"
