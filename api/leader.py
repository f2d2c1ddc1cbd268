"""Leadership of a periodic job across replicas: a PostgreSQL advisory lock held on a connection.

The replica that gets `pg_try_advisory_lock(key of the job)` leads the job until it lets go or its
connection ends; the lock belongs to the database session, so a replica that dies (kill -9, lost
network) loses it as soon as PostgreSQL sees its connection gone, and another replica takes over
at its next try. The leader checks its connection before each run. On SQLite (one process) the
instance always leads.

Example:
    >>> leader = Leadership(engine, "escalation")  # doctest: +SKIP
    >>> if leader.holds(): run_escalation(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import threading

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """The advisory-lock key of a job: a stable signed 64-bit number from its name."""
    digest = hashlib.sha256(f"gridwatch:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    """Whether this replica leads job `name`; see the module docstring."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.name = name
        self.key = lock_key(name)
        self._engine = engine
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    @property
    def leading(self) -> bool:
        """This replica held the lock at its last check."""
        return self._engine.dialect.name != "postgresql" or self._connection is not None

    def holds(self) -> bool:
        """Check (and keep, or try to take) the lead; blocking, call from a worker thread."""
        if self._engine.dialect.name != "postgresql":
            return True
        with self._lock:
            if self._connection is not None and not self._alive(self._connection):
                logger.warning("lost the lead of %s: its database connection broke", self.name)
                self._drop()
            if self._connection is None:
                self._connection = self._try_take()
            return self._connection is not None

    def release(self) -> None:
        """Let go of the lead (at shutdown), so another replica takes it at once."""
        with self._lock:
            connection = self._connection
            if connection is None:
                return
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                connection.commit()
            except DBAPIError:
                pass
            self._drop()

    def _alive(self, connection: Connection) -> bool:
        try:
            connection.execute(text("SELECT 1"))
            connection.commit()
        except DBAPIError:
            return False
        return True

    def _try_take(self) -> Connection | None:
        try:
            connection = self._engine.connect()
        except DBAPIError as exc:
            logger.warning("cannot try for the lead of %s: %s", self.name, exc)
            return None
        try:
            took = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            connection.commit()
        except DBAPIError as exc:
            logger.warning("cannot try for the lead of %s: %s", self.name, exc)
            connection.invalidate()
            connection.close()
            return None
        if not took:
            connection.close()
            return None
        logger.info("this replica now leads %s", self.name)
        return connection

    def _drop(self) -> None:
        """Forget the connection; it is closed for good, never returned to the pool with the lock."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()
            connection.close()
