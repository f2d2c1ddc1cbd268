"""Live changes across replicas: PostgreSQL LISTEN/NOTIFY, behind `api.live.ChangeFeed`.

`publish` hands committed changes to this replica's own pages at once and sends them to every
other replica as a `NOTIFY gridwatch_live` (JSON, split to fit PostgreSQL's 8000-byte payload,
marked with this replica's name). `listen` keeps one connection of its own in `LISTEN` and hands
what other replicas published to this replica's `Fanout`. The listener reconnects with backoff
when its connection breaks (TCP keepalives and a ping every `PING_S` notice a silent drop), and
then tells every open page to refresh, since changes made meanwhile were not heard.

Example:
    >>> feed = PgFeed(engine, origin="api1")  # doctest: +SKIP
    >>> supervisor.start("live", feed.listen)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator, Sequence

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from api.live import EventChange, Fanout

logger = logging.getLogger(__name__)

CHANNEL = "gridwatch_live"
MAX_PAYLOAD = 7000
"""Bytes per NOTIFY payload (PostgreSQL takes up to 7999)."""
PING_S = 30.0
"""A quiet listener checks its connection this often."""
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}
APPLICATION = "gridwatch-live"
"""The listener's application_name in pg_stat_activity."""


def payloads(changes: Sequence[EventChange], origin: str) -> Iterator[str]:
    """The changes as JSON payloads, each under `MAX_PAYLOAD` bytes."""
    batch: list[list[str]] = []
    size = 0
    for change in changes:
        item = [change.code, change.grid_path, change.kind]
        item_size = len(json.dumps(item, ensure_ascii=False).encode())
        if batch and size + item_size > MAX_PAYLOAD:
            yield json.dumps({"o": origin, "c": batch}, ensure_ascii=False)
            batch, size = [], 0
        batch.append(item)
        size += item_size + 1
    if batch:
        yield json.dumps({"o": origin, "c": batch}, ensure_ascii=False)


def heard(payload: str) -> tuple[str, list[EventChange]]:
    """(origin, changes) of a payload; ValueError for one that is not ours."""
    body = json.loads(payload)
    return str(body["o"]), [EventChange(str(code), str(path), str(kind)) for code, path, kind in body["c"]]


class PgFeed:
    """See the module docstring."""

    def __init__(
        self, engine: Engine, *, origin: str, on_reconnect: Callable[[], None] = lambda: None
    ) -> None:
        self.fanout = Fanout()
        self._engine = engine
        self._origin = origin
        self._on_reconnect = on_reconnect
        self.listening = False
        """The listener's connection is up (changes of other replicas are being heard)."""

    def publish(self, changes: Sequence[EventChange]) -> None:
        """This replica's pages at once; the other replicas through NOTIFY (blocking: call it from a
        worker thread, as the routes and jobs that commit do)."""
        if not changes:
            return
        self.fanout.deliver(changes)
        try:
            with self._engine.connect() as connection:
                for payload in payloads(changes, self._origin):
                    connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                                       {"channel": CHANNEL, "payload": payload})  # fmt: skip
                connection.commit()
        except DBAPIError:
            logger.exception("could not tell the other replicas about %d changes", len(changes))

    async def listen(self) -> None:
        """Hand what the other replicas publish to this replica's pages, until cancelled."""
        attempt = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo(), autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    if attempt:
                        logger.info("listening for other replicas' changes again; open pages refresh")
                        self.fanout.resync()
                        self._on_reconnect()
                    attempt = 0
                    await self._hear(conn)
            except psycopg.OperationalError as exc:
                delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                attempt += 1
                logger.warning("live changes from other replicas: %s; reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)
            finally:
                self.listening = False

    async def _hear(self, conn: psycopg.AsyncConnection[object]) -> None:
        while True:
            async for notify in conn.notifies(timeout=PING_S):
                self._deliver(notify.payload)
            await conn.execute("SELECT 1")

    def _deliver(self, payload: str) -> None:
        try:
            origin, changes = heard(payload)
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring a %s notification that is not a change list: %.200r", CHANNEL, payload)
            return
        if origin != self._origin:
            self.fanout.deliver(changes)

    def _conninfo(self) -> str:
        """The engine's database as a libpq URL, with TCP keepalives on."""
        url = self._engine.url.set(drivername="postgresql").update_query_dict(
            {"application_name": APPLICATION, **{key: str(value) for key, value in KEEPALIVES.items()}}
        )
        return url.render_as_string(hide_password=False)
