"""Migration 0010 on a database with boxes and cameras from before: they stay; source ids become
unique per box; the schema matches the models; it downgrades and upgrades again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.db import make_engine
from api.migrate import alembic_config
from api.orm import Base
from tests.api.conftest import _create_pg_database, _drop_pg_database

INSERT = (
    "INSERT INTO devices (device_id, kind, name, parent_device_id, created_at)"
    " VALUES (:device, :kind, '', :parent, '2026-01-01')"
)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_0005_keeps_devices_and_scopes_source_ids_to_their_box(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    name = _create_pg_database() if backend == "postgresql" else None
    url = (
        f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        if name
        else f"sqlite:///{tmp_path_factory.mktemp('m0010') / 'm.db'}"
    )
    engine = make_engine(url)
    try:
        config = alembic_config(engine)
        command.upgrade(config, "0009")
        with engine.begin() as connection:
            connection.execute(text(INSERT), {"device": "edge-01", "kind": "edge", "parent": None})
            connection.execute(text(INSERT), {"device": "cam-1", "kind": "camera", "parent": "edge-01"})
        command.upgrade(config, "head")
        with engine.begin() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            connection.execute(text(INSERT), {"device": "edge-02", "kind": "edge", "parent": None})
            connection.execute(text(INSERT), {"device": "cam-1", "kind": "camera", "parent": "edge-02"})
            kept = connection.execute(text("SELECT count(*) FROM devices WHERE notes = ''")).scalar_one()
        assert kept == 4
        for device, parent in (("edge-01", None), ("cam-1", "edge-01")):
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(text(INSERT), {"device": device, "kind": "camera", "parent": parent})
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM devices WHERE device_id IN ('edge-02', 'cam-1')"))
        command.downgrade(config, "0009")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT device_id FROM devices")).scalar_one() == "edge-01"
        command.upgrade(config, "head")
    finally:
        engine.dispose()
        if name is not None:
            _drop_pg_database(name)
