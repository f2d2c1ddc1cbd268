"""Fixtures of the API tests: every database test runs on SQLite and on the real PostgreSQL.

PostgreSQL: a fresh database `gridwatch_test_<random>` per session on 127.0.0.1:5432, dropped at the end.
Between tests every table is emptied, so tests never see each other's rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import build_context, create_app
from api.config_cli import edge_box_check
from api.context import ApiContext
from api.db import make_engine
from api.logic.roles import Role
from api.migrate import alembic_config, upgrade
from api.orm import Base
from api.schemas.devices import SourceRow
from api.services.grids import import_grids
from api.services.inventory import import_sources
from api.services.principals import create_device, create_user
from api.settings import ApiSettings
from tests.api.builders import DEFAULT_SOURCE, DEMO_GRIDS, REPO, demo_source_rows, register_source

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _create_pg_database() -> str:
    name = f"gridwatch_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of the parametrised backend, for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('api-db') / 'api.db'}"
        name = None
    else:
        name = _create_pg_database()
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        if name is not None:
            _drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a fresh, empty database of the parametrised backend (nothing migrated): for the
    migration tests, which upgrade to a revision, write rows as they were then, and go on."""
    name = _create_pg_database() if request.param == "postgresql" else None
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}" if name else f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        if name is not None:
            _drop_pg_database(name)


def rows_at(engine: Engine, revision: str, *statements: str) -> Config:
    """Upgrade a blank database to `revision`, write rows as they were then; the Alembic config."""
    config = alembic_config(engine)
    command.upgrade(config, revision)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    return config


def _empty_all_tables(url: str) -> None:
    engine = make_engine(url)
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> ApiSettings:
    """Settings on an emptied database; periodic jobs off (tests run them explicitly)."""
    _empty_all_tables(database_url)
    return ApiSettings(
        database_url=database_url,
        centre_config=REPO / "configs" / "centre.example.yaml",
        escalation_interval_s=0,
        webhook_interval_s=0,
        grid_refresh_s=0,
        fleet_interval_s=0,
        webhook_backoff_s=1,
        webhook_timeout_s=2,
        webhook_allow="127.0.0.1",  # the test receivers listen on loopback; nothing else is ever reached
    )


@dataclass
class World:
    """A running app on the demo county with an edge box and users of every role and scope."""

    app: FastAPI
    client: TestClient
    ctx: ApiContext
    device_token: str
    tokens: dict[str, str]
    sources: set[tuple[str, str]] = field(default_factory=lambda: {("edge-01", DEFAULT_SOURCE)})

    def as_user(self, user: str) -> dict[str, str]:
        """Authorization header of one of the seeded users."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    @property
    def device(self) -> dict[str, str]:
        """Authorization header of the edge box `edge-01`."""
        return {"Authorization": f"Bearer {self.device_token}"}

    def post_alert(self, alert: dict[str, Any]) -> Any:
        """POST an alert as edge-01, its source registered first (at the location it gives)."""
        key = (alert.get("device_id"), alert.get("source_id"))
        if key not in self.sources and key[0] == "edge-01" and isinstance(alert.get("location"), dict):
            register_source(self.ctx, alert)
            self.sources.add((str(key[0]), str(key[1])))
        return self.client.post("/v1/alerts", json=alert, headers=self.device)


USERS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "supervisor": (Role.SUPERVISOR, None),
    "operator": (Role.OPERATOR, None),
    "op_t1": (Role.OPERATOR, "DX-T01"),
    "op_t2": (Role.OPERATOR, "DX-T02"),
    "sup_t2": (Role.SUPERVISOR, "DX-T02"),
    "case": (Role.CASE_SYSTEM, None),
    "case_t2": (Role.CASE_SYSTEM, "DX-T02"),
    "admin_t2": (Role.ADMIN, "DX-T02"),
}


def seed(ctx: ApiContext) -> tuple[str, dict[str, str]]:
    """Import the demo county, register edge-01, create the USERS; returns their tokens."""
    with ctx.sessions() as session:
        import_grids(session=session, data=DEMO_GRIDS)
        _device, device_token = create_device(session=session, device_id="edge-01", kind="edge")
        tokens = {
            name: create_user(session=session, username=name, role=role, scope=scope)[1]
            for name, (role, scope) in USERS.items()
        }
        session.commit()
    assert device_token is not None
    with ctx.sessions() as session:  # a camera at every demo cell's centre: make_alert(at=cell_center(...))
        rows = [SourceRow.model_validate(row) for row in demo_source_rows("edge-01")]
        import_sources(session=session, grids=ctx.grids, rows=rows, now=datetime.now(UTC))
        session.commit()
    return device_token, tokens


@pytest.fixture
def world(settings: ApiSettings) -> Iterator[World]:
    """The seeded, running app."""
    ctx = build_context(settings)
    ctx.box_check = edge_box_check  # as `gridwatch api serve` wires it
    device_token, tokens = seed(ctx)
    app = create_app(ctx=ctx)
    with TestClient(app) as client:
        yield World(app, client, ctx, device_token, tokens)


@pytest.fixture
def now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)
