"""Alembic environment: runs on the engine handed over by `api.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from api.orm import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate through the engine put in `config.attributes["engine"]`."""
    engine = context.config.attributes["engine"]
    assert isinstance(engine, Engine)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
