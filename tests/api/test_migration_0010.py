"""Migration 0010 on a database with boxes and cameras from before: they stay; source ids become
unique per box; the schema matches the models; it downgrades and upgrades again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from api.migrate import alembic_config
from api.orm import Base

INSERT = (
    "INSERT INTO devices (device_id, kind, name, parent_device_id, created_at)"
    " VALUES (:device, :kind, '', :parent, '2026-01-01')"
)


def test_0005_keeps_devices_and_scopes_source_ids_to_their_box(blank_engine: Engine) -> None:
    config = alembic_config(blank_engine)
    command.upgrade(config, "0009")
    with blank_engine.begin() as connection:
        connection.execute(text(INSERT), {"device": "edge-01", "kind": "edge", "parent": None})
        connection.execute(text(INSERT), {"device": "cam-1", "kind": "camera", "parent": "edge-01"})
    command.upgrade(config, "head")
    with blank_engine.begin() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        connection.execute(text(INSERT), {"device": "edge-02", "kind": "edge", "parent": None})
        connection.execute(text(INSERT), {"device": "cam-1", "kind": "camera", "parent": "edge-02"})
        kept = connection.execute(text("SELECT count(*) FROM devices WHERE notes = ''")).scalar_one()
    assert kept == 4
    for device, parent in (("edge-01", None), ("cam-1", "edge-01")):
        with pytest.raises(IntegrityError), blank_engine.begin() as connection:
            connection.execute(text(INSERT), {"device": device, "kind": "camera", "parent": parent})
    with blank_engine.begin() as connection:
        connection.execute(text("DELETE FROM devices WHERE device_id IN ('edge-02', 'cam-1')"))
    command.downgrade(config, "0009")
    with blank_engine.connect() as connection:
        assert connection.execute(text("SELECT device_id FROM devices")).scalar_one() == "edge-01"
    command.upgrade(config, "head")
