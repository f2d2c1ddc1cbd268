"""Live changes across replicas on PostgreSQL (LISTEN/NOTIFY): a change published by one replica
reaches the pages of another, once, in scope; a listener whose connection broke reconnects and
tells its pages to refresh."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine

from api.db import make_engine
from api.live import EventChange, Subscription
from api.live_pg import APPLICATION, PgFeed, heard, payloads
from tests.api.conftest import PG_ADMIN, _create_pg_database, _drop_pg_database

T1 = "/DXC/DX/DX-T01/DX-T01-V01/DX-T01-V01-C001/"
T2 = "/DXC/DX/DX-T02/DX-T02-V01/DX-T02-V01-C001/"


def test_many_changes_are_split_into_payloads_postgresql_takes() -> None:
    changes = [EventChange(f"DX-20261128-INTRUSION-{i:04d}", T1 + "x" * 400, "joined") for i in range(100)]
    sent = list(payloads(changes, "api1"))
    assert len(sent) > 1
    assert all(len(p.encode()) < 8000 for p in sent), "PostgreSQL refuses payloads of 8000 bytes or more"
    assert [c for p in sent for c in heard(p)[1]] == changes
    assert {heard(p)[0] for p in sent} == {"api1"}


@pytest.fixture
def engine() -> Iterator[Engine]:
    name = _create_pg_database()
    made = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        yield made
    finally:
        made.dispose()
        _drop_pg_database(name)


async def _until(condition: object, what: str, timeout_s: float = 20.0) -> None:
    assert callable(condition)
    for _ in range(int(timeout_s / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def _next(sub: Subscription) -> EventChange | None:
    async for change in sub.changes(timeout_s=10):
        return change
    raise AssertionError("the stream ended")


def _terminate_listeners(database: str | None, origin_count: int) -> None:
    """End the live feed's listening connections to this test's database (only those: other tests,
    in other workers or sessions, listen on the same server under the same application name)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = %s",
            (APPLICATION, database),
        ).fetchall()
    assert len(ended) == origin_count


@pytest.mark.postgres
def test_a_change_on_one_replica_reaches_the_pages_of_another_once(engine: Engine) -> None:
    async def scenario() -> None:
        a, b = PgFeed(engine, origin="api1"), PgFeed(engine, origin="api2")
        listeners = [asyncio.create_task(feed.listen()) for feed in (a, b)]
        try:
            await _until(lambda: a.listening and b.listening, "both listeners")
            opened = EventChange("DX-20261128-INTRUSION-0001", T2, "opened")
            with a.fanout.subscribe("/DXC/DX/DX-T02/") as on_a, b.fanout.subscribe("/") as on_b:
                with a.fanout.subscribe("/DXC/DX/DX-T01/") as elsewhere:
                    await asyncio.to_thread(b.publish, [opened])
                    assert await _next(on_a) == opened, "another replica's page hears it"
                    assert await _next(on_b) == opened, "the publishing replica's own page too"
                    await asyncio.sleep(0.5)
                    assert on_b.queue.empty(), "its own NOTIFY is not delivered a second time"
                    assert elsewhere.queue.empty(), "pages outside the event's scope hear nothing"
                _terminate_listeners(engine.url.database, 2)
                assert await _next(on_a) is None, "after a reconnect the page is told to refresh"
                await _until(lambda: a.listening and b.listening, "both listeners back")
                joined = EventChange("DX-20261128-INTRUSION-0001", T2, "joined")
                await asyncio.to_thread(b.publish, [joined])
                assert await _next(on_a) == joined
        finally:
            for task in listeners:
                task.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)

    asyncio.run(scenario())
