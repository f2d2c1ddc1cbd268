"""Migration 0011: the dashboard/quality indexes match the models, and go away on downgrade."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from api.migrate import alembic_config
from api.orm import Base


def _indexes(engine: object, table: str) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes(table)}


def test_0008_adds_the_time_indexes(blank_engine: Engine) -> None:
    config = alembic_config(blank_engine)
    command.upgrade(config, "0011")
    assert "ix_alerts_received_at" in _indexes(blank_engine, "alerts")
    assert "ix_events_resolved_at" in _indexes(blank_engine, "events")
    command.upgrade(config, "head")
    with blank_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    command.downgrade(config, "0010")
    assert "ix_alerts_received_at" not in _indexes(blank_engine, "alerts")
    assert "ix_events_resolved_at" not in _indexes(blank_engine, "events")
