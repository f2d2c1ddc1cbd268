"""The outbox's SQLite tables, and the upgrade of an outbox written by an earlier version."""

from __future__ import annotations

import logging
import sqlite3

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
CREATE TABLE IF NOT EXISTS sources (
    session TEXT PRIMARY KEY,
    base REAL NOT NULL
);
"""
"""``sources``: the time base of each file source this outbox has read (see edge.timeline)."""

ADDED_COLUMNS = {
    "next_attempt_at": "REAL",  # epoch seconds of this alert's next try; NULL: as soon as possible
    "parked_at": "REAL",  # set when the centre refused the alert for good; NULL: still to send
    "park_reason": "TEXT",
}
"""Columns later versions added to ``outbox``; an older file gets them on open."""


def migrate(db: sqlite3.Connection) -> None:
    """Create missing tables and add missing columns (an outbox of an earlier version keeps its rows).

    Statement by statement (``executescript`` would commit), so it runs inside the caller's transaction.
    """
    for statement in filter(str.strip, SCHEMA.split(";")):
        db.execute(statement)
    present = {str(row[1]) for row in db.execute("PRAGMA table_info(outbox)")}
    for name, kind in ADDED_COLUMNS.items():
        if name not in present:
            db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {kind}")
            logger.info("outbox: added column %s", name)
