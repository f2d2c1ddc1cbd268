"""Migration 0006 on a database holding an event: clips and deletions tables, the legal hold flag
(false for events from before); the schema matches the models; it downgrades and upgrades again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from api.orm import Base
from tests.api.conftest import rows_at
from tests.api.test_migration_0003 import ALERT, EVENT


def test_0006_adds_clips_deletions_and_legal_hold(blank_engine: Engine) -> None:
    config = rows_at(blank_engine, "0005", EVENT, ALERT)
    command.upgrade(config, "head")
    with blank_engine.connect() as connection:
        assert connection.execute(text("SELECT legal_hold FROM events")).scalar_one() in (False, 0)
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    command.downgrade(config, "0005")
    tables = inspect(blank_engine).get_table_names()
    assert "clips" not in tables
    assert "evidence_deletions" not in tables
    command.upgrade(config, "head")
    assert {"clips", "evidence_deletions"} <= set(inspect(blank_engine).get_table_names())
