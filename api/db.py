"""Engine and session factories; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite connection waits for another writer's lock before giving up."""


class JsonText(str):
    """A value for a JSON column that is already serialised (by pydantic, say): stored as it is."""


def _json_serializer(value: Any) -> str:
    return value if isinstance(value, JsonText) else json.dumps(value)


class WriteLockBusyError(Exception):
    """Another connection holds SQLite's write lock right now (raised only when asked not to wait)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite connections are set up for one writer and many readers."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            json_serializer=_json_serializer,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, json_serializer=_json_serializer
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """On SQLite, take the write lock now (BEGIN IMMEDIATE) so what this transaction reads cannot
    go stale before it writes; PostgreSQL callers lock rows or keys instead. Call before writing."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi = connection.connection.dbapi_connection
    if dbapi is not None and not getattr(dbapi, "in_transaction", False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def try_begin_write(session: Session) -> None:
    """Like `begin_write`, but on SQLite raise `WriteLockBusyError` at once instead of waiting for the
    lock, so a caller on the event loop never sleeps in SQLite's busy handler."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        begin_write(session)
        return
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        begin_write(session)
    except OperationalError as exc:
        if "locked" not in str(exc.orig):
            raise
        raise WriteLockBusyError(str(exc.orig)) from exc
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
