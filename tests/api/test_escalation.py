"""Escalation: sweep (function, CLI run-once, periodic job) writes one 督办 per missed deadline."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from api.app import build_context, create_app
from api.cli import app as cli
from api.jobs.units import run_escalation
from api.orm import Event, Supervision
from api.settings import ApiSettings
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World, seed


def _open(world: World) -> tuple[str, datetime]:
    code = world.post_alert(make_alert("a-1", at=cell_center(2, 3, 1))).json()["event_code"]
    with world.ctx.sessions() as session:
        created = session.scalars(select(Event.created_at).where(Event.code == code)).one()
    return code, created


def _detail(world: World, code: str) -> dict[str, object]:
    body = world.client.get(f"/v1/events/{code}", headers=world.as_user("admin")).json()
    assert isinstance(body, dict)
    return body


def test_missed_ack_escalates_cell_to_village_once(world: World) -> None:
    code, created = _open(world)
    assert run_escalation(world.ctx, created + timedelta(hours=1)) == 0
    assert run_escalation(world.ctx, created + timedelta(hours=3)) == 1
    assert run_escalation(world.ctx, created + timedelta(hours=3, minutes=5)) == 0
    detail = _detail(world, code)
    event = detail["event"]
    assert isinstance(event, dict)
    assert (event["escalation_level"], event["responsible_grid"]) == (1, "DX-T02-V03")
    supervisions = detail["supervisions"]
    assert isinstance(supervisions, list)
    assert [(s["deadline"], s["from_level"], s["to_level"]) for s in supervisions] == [("ack", 0, 1)]
    history = detail["history"]
    assert isinstance(history, list)
    assert history[-1]["action"] == "escalate"


def test_each_further_missed_deadline_goes_one_level_up(world: World) -> None:
    code, created = _open(world)
    run_escalation(world.ctx, created + timedelta(hours=3))
    world.client.post(
        f"/v1/events/{code}/actions", json={"action": "acknowledge"}, headers=world.as_user("operator")
    )
    assert run_escalation(world.ctx, created + timedelta(hours=49)) == 1
    event = _detail(world, code)["event"]
    assert isinstance(event, dict)
    assert (event["escalation_level"], event["responsible_grid"]) == (2, "DX-T02")


def test_handled_events_do_not_escalate(world: World) -> None:
    code, created = _open(world)
    world.client.post(
        f"/v1/events/{code}/actions",
        json={"action": "dismiss", "reason": "误报"},
        headers=world.as_user("operator"),
    )
    assert run_escalation(world.ctx, created + timedelta(days=30)) == 0


def _make_overdue(world: World) -> None:
    with world.ctx.sessions() as session:
        session.execute(update(Event).values(ack_due=datetime.now(UTC) - timedelta(minutes=1)))
        session.commit()


def test_cli_run_once(world: World) -> None:
    _open(world)
    _make_overdue(world)
    runner = CliRunner()
    url = world.ctx.settings.database_url
    first = runner.invoke(cli, ["escalate", "--once", "--database-url", url])
    second = runner.invoke(cli, ["escalate", "--once", "--database-url", url])
    assert first.exit_code == second.exit_code == 0
    assert "1 督办" in first.output
    assert "0 督办" in second.output
    refused = runner.invoke(cli, ["escalate", "--database-url", url])
    assert refused.exit_code == 2
    assert "--once" in refused.output


def test_periodic_job_runs_inside_the_server(settings: ApiSettings) -> None:
    ctx = build_context(settings.model_copy(update={"escalation_interval_s": 0.05}))
    device_token, _ = seed(ctx)
    with TestClient(create_app(ctx=ctx)) as client:
        headers = {"Authorization": f"Bearer {device_token}"}
        assert client.post("/v1/alerts", json=make_alert("a-1"), headers=headers).status_code == 201
        with ctx.sessions() as session:
            session.execute(update(Event).values(ack_due=datetime.now(UTC) - timedelta(minutes=1)))
            session.commit()
        deadline = time.monotonic() + 10
        found: list[Supervision] = []
        while not found and time.monotonic() < deadline:
            time.sleep(0.05)
            with ctx.sessions() as session:
                found = list(session.scalars(select(Supervision)))
    assert [s.deadline for s in found] == ["ack"]
