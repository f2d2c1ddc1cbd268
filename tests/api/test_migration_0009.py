"""Migration 0009 adds the box configuration versions; the schema matches the models; it downgrades
and upgrades again with the rows of the other tables kept."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from api.orm import Base
from tests.api.conftest import rows_at

DEVICE = (
    "INSERT INTO devices (device_id, kind, name, created_at) VALUES ('edge-01', 'edge', '', '2026-01-01')"
)


def test_0009_adds_config_versions(blank_engine: Engine) -> None:
    config = rows_at(blank_engine, "0008", DEVICE)
    command.upgrade(config, "head")
    with blank_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert "box_config_versions" in inspect(connection).get_table_names()
    command.downgrade(config, "0008")
    with blank_engine.connect() as connection:
        assert "box_config_versions" not in inspect(connection).get_table_names()
        assert connection.execute(text("SELECT device_id FROM devices")).scalar_one() == "edge-01"
    command.upgrade(config, "head")
