"""Migration 0011: the dashboard/quality indexes match the models, and go away on downgrade."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from api.db import make_engine
from api.migrate import alembic_config
from api.orm import Base
from tests.api.conftest import _create_pg_database, _drop_pg_database


def _indexes(engine: object, table: str) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes(table)}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_0008_adds_the_time_indexes(backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    name = _create_pg_database() if backend == "postgresql" else None
    url = (
        f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        if name
        else f"sqlite:///{tmp_path_factory.mktemp('m0011') / 'm.db'}"
    )
    engine = make_engine(url)
    try:
        config = alembic_config(engine)
        command.upgrade(config, "0011")
        assert "ix_alerts_received_at" in _indexes(engine, "alerts")
        assert "ix_events_resolved_at" in _indexes(engine, "events")
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        command.downgrade(config, "0010")
        assert "ix_alerts_received_at" not in _indexes(engine, "alerts")
        assert "ix_events_resolved_at" not in _indexes(engine, "events")
    finally:
        engine.dispose()
        if name is not None:
            _drop_pg_database(name)
