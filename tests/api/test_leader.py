"""One replica leads a periodic job (a PostgreSQL advisory lock on a connection of its own); when
it dies its lead passes to another replica; on SQLite the only process always leads. Migrations
started at once on two hosts run once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text

from api.db import make_engine
from api.leader import Leadership, lock_key
from api.migrate import is_current, upgrade
from tests.api.conftest import PG_ADMIN, _create_pg_database, _drop_pg_database


@pytest.fixture
def pg_engines() -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one fresh PostgreSQL database, as two replicas would have."""
    name = _create_pg_database()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    first, second = make_engine(url), make_engine(url)
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()
        _drop_pg_database(name)


def _holder_pid(engine: Engine, name: str) -> int:
    """The server process of the connection holding the job's advisory lock in this test's database
    (other test sessions on the same server hold the same keys in theirs)."""
    key = lock_key(name)
    query = text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND ((classid::bigint << 32) | objid::bigint) = :key"
    )
    with engine.connect() as connection:
        pid = connection.execute(query, {"key": key & 0xFFFFFFFFFFFFFFFF}).scalar_one()
    assert isinstance(pid, int)
    return pid


@pytest.mark.postgres
def test_one_replica_leads_and_the_lead_passes_on_when_it_dies(pg_engines: tuple[Engine, Engine]) -> None:
    first, second = Leadership(pg_engines[0], "escalation"), Leadership(pg_engines[1], "escalation")
    assert first.holds()
    assert not second.holds()
    assert first.holds(), "the leader keeps its lead at each check"
    other_job = Leadership(pg_engines[1], "another-job")
    assert other_job.holds(), "each job has its own lead"
    other_job.release()
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:  # the leader's connection dies, as with kill -9
        admin.execute("SELECT pg_terminate_backend(%s)", (_holder_pid(pg_engines[0], "escalation"),))
    assert second.holds()
    assert not first.holds(), "a leader whose connection broke finds it has lost the lead"
    second.release()
    assert first.holds()
    first.release()


def test_on_sqlite_the_only_process_leads(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'one.db'}")
    leader = Leadership(engine, "escalation")
    assert leader.holds()
    assert leader.leading
    engine.dispose()


@pytest.mark.postgres
def test_migrations_started_at_once_run_once(pg_engines: tuple[Engine, Engine]) -> None:
    errors: list[BaseException] = []

    def migrate(engine: Engine) -> None:
        try:
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(engine,)) for engine in pg_engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert all(is_current(engine) for engine in pg_engines)
    with pg_engines[0].connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
