"""Migration 0009 adds the box configuration versions; the schema matches the models; it downgrades
and upgrades again with the rows of the other tables kept."""

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

DEVICE = (
    "INSERT INTO devices (device_id, kind, name, created_at) VALUES ('edge-01', 'edge', '', '2026-01-01')"
)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_0009_adds_config_versions(backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    name = _create_pg_database() if backend == "postgresql" else None
    url = (
        f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        if name
        else f"sqlite:///{tmp_path_factory.mktemp('m0009') / 'm.db'}"
    )
    engine = make_engine(url)
    try:
        config = alembic_config(engine)
        command.upgrade(config, "0008")
        with engine.begin() as connection:
            connection.execute(text(DEVICE))
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            assert "box_config_versions" in inspect(connection).get_table_names()
        command.downgrade(config, "0008")
        with engine.connect() as connection:
            assert "box_config_versions" not in inspect(connection).get_table_names()
            assert connection.execute(text("SELECT device_id FROM devices")).scalar_one() == "edge-01"
        command.upgrade(config, "head")
    finally:
        engine.dispose()
        if name is not None:
            _drop_pg_database(name)
