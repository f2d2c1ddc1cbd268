"""The service shell: factory, migrations on start, OpenAPI, health, metrics, CLI behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.db import make_engine
from api.errors import ConfigError
from api.migrate import is_current
from api.settings import ApiSettings
from tests.api.builders import REPO, make_alert
from tests.api.conftest import World
from tests.support.centre import wait_for

CENTRE = REPO / "configs" / "centre.example.yaml"
runner = CliRunner()


def test_fresh_sqlite_is_migrated_on_start_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with TestClient(create_app(ApiSettings(database_url=url, centre_config=CENTRE))) as client:
        health = client.get("/healthz").json()
        assert {k: health[k] for k in ("status", "database", "cells")} == {
            "status": "ok",
            "database": "sqlite",
            "cells": 0,
        }
        assert {name: loop["state"] for name, loop in health["loops"].items()} == {
            "alert-writer": "running",
            "escalation": "running",
            "webhooks": "running",
            "grid refresh": "running",
            "retention": "running",
            "fleet": "running",
            "heartbeat-writer": "running",
            "map warm-up": "running",
        }
    engine = make_engine(url)
    assert is_current(engine)
    assert "events" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_an_unmigrated_database_is_refused_unless_migration_on_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = create_app(ApiSettings(database_url=url, centre_config=CENTRE, migrate_on_start=False))
    with pytest.raises(ConfigError, match="gridwatch api migrate"), TestClient(app):
        pass


def test_openapi_documents_the_routes(world: World) -> None:
    schema = world.client.get("/openapi.json").json()
    assert "/v1/alerts" in schema["paths"]
    assert "/v1/events/{code}/actions" in schema["paths"]
    assert "Alert" in schema["components"]["schemas"]


def test_metrics_count_alerts(world: World) -> None:
    alert = make_alert("a-1")
    world.post_alert(alert)
    world.post_alert(alert)
    text = world.client.get("/metrics").text
    assert 'gridwatch_alerts_total{outcome="opened"} 1.0' in text
    assert 'gridwatch_alerts_total{outcome="replay"} 1.0' in text
    assert "gridwatch_alert_batch_size_count" in text


def test_healthz_counts_cells(world: World) -> None:
    assert world.client.get("/healthz").json()["cells"] == 48


def test_healthz_names_the_replica_what_it_leads_and_how_it_hears_live_changes(
    settings: ApiSettings,
) -> None:
    tuned = settings.model_copy(
        update={
            "escalation_interval_s": 0.1,
            "retention_interval_s": 0.1,
            "fleet_interval_s": 0.1,
            "replica_id": "api7",
        }
    )
    with TestClient(create_app(tuned)) as client:
        postgres = tuned.database_url.startswith("postgresql")
        live = "listening" if postgres else "local"
        expected = {"replica": "api7", "leads": ["escalation", "fleet", "retention"], "live": live}
        wait_for(
            lambda: {k: client.get("/healthz").json()[k] for k in expected} == expected,
            f"/healthz to show {expected}",
            timeout_s=20,
        )
        assert client.get("/healthz").json()["loops"]["escalation"]["state"] == "running"


def test_unauthenticated_user_routes_are_401(world: World) -> None:
    assert world.client.get("/v1/events").status_code == 401
    assert world.client.get("/v1/events", headers={"Authorization": "Bearer wrong"}).status_code == 401


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["migrate"],
        ["import-grids"],
        ["escalate"],
        ["add-device"],
        ["revoke-device"],
        ["add-user"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_cli_admin_commands(settings: ApiSettings) -> None:
    url = ["--database-url", settings.database_url]
    assert runner.invoke(cli, ["migrate", *url]).exit_code == 0
    token = runner.invoke(cli, ["add-device", "edge-07", *url]).output.strip()
    assert token.startswith("gwd_")
    assert runner.invoke(cli, ["revoke-device", "edge-07", *url]).exit_code == 0
    user = runner.invoke(cli, ["add-user", "ops", "--role", "operator", *url])
    assert user.output.strip().startswith("gwu_")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["add-user", "x", "--role", "boss"], "--role 'boss'"),
        (["add-user", "x", "--scope", "NOPE"], "NOPE"),
        (["add-device", "d", "--kind", "drone"], "drone"),
        (["revoke-device", "nobody"], "nobody"),
        (["migrate", "--centre-config", "/nonexistent/centre.yaml"], "/nonexistent/centre.yaml"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(settings: ApiSettings, args: list[str], named: str) -> None:
    result = runner.invoke(cli, [*args, "--database-url", settings.database_url])
    assert result.exit_code == 2, result.output
    assert named in result.output
