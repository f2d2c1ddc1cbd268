"""Migration 0006 on a database holding an event: clips and deletions tables, the legal hold flag
(false for events from before); the schema matches the models; it downgrades and upgrades again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from api.db import make_engine
from api.migrate import alembic_config
from api.orm import Base
from tests.api.conftest import _create_pg_database, _drop_pg_database
from tests.api.test_migration_0003 import ALERT, EVENT


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_0006_adds_clips_deletions_and_legal_hold(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    name = _create_pg_database() if backend == "postgresql" else None
    url = (
        f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        if name
        else f"sqlite:///{tmp_path_factory.mktemp('m0006') / 'm.db'}"
    )
    engine = make_engine(url)
    try:
        config = alembic_config(engine)
        command.upgrade(config, "0005")
        with engine.begin() as connection:
            connection.execute(text(EVENT))
            connection.execute(text(ALERT))
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT legal_hold FROM events")).scalar_one() in (False, 0)
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        command.downgrade(config, "0005")
        tables = inspect(engine).get_table_names()
        assert "clips" not in tables
        assert "evidence_deletions" not in tables
        command.upgrade(config, "head")
        assert {"clips", "evidence_deletions"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
        if name is not None:
            _drop_pg_database(name)
