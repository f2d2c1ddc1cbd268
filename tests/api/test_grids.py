"""Grid import (CLI and admin endpoint), idempotency, refusal of bad files, index rebuild, tree."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app as cli
from api.jobs.units import refresh_grids
from api.orm import Grid
from api.services.grids import grid_revision, import_grids
from api.settings import ApiSettings
from gridwatch.gridgen import generate_grid
from tests.api.builders import DEMO_GRIDS, REPO, make_alert
from tests.api.conftest import World

runner = CliRunner()


def _grid_count(world: World) -> int:
    with world.ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Grid)) or 0)


def _cli(settings: ApiSettings, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, [*args, "--database-url", settings.database_url])
    return result.exit_code, result.output


def test_cli_import_is_idempotent(settings: ApiSettings) -> None:
    demo = str(REPO / "configs" / "demo-county-grids.geojson")
    code, out = _cli(settings, "import-grids", demo)
    assert code == 0, out
    assert "65 created, 0 updated, 0 unchanged" in out
    code, out = _cli(settings, "import-grids", demo)
    assert code == 0
    assert "0 created, 0 updated, 65 unchanged" in out


def test_cli_refuses_a_bad_file_whole_with_exit_2(settings: ApiSettings, tmp_path: Path) -> None:
    data = copy.deepcopy(DEMO_GRIDS)
    data["features"][20]["properties"]["parent"] = "NOWHERE"
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out = _cli(settings, "import-grids", str(path))
    assert code == 2
    assert "feature 20" in out
    assert "NOWHERE" in out
    code, out = _cli(settings, "import-grids", str(tmp_path / "missing.geojson"))
    assert code == 2
    assert "missing.geojson" in out


def test_endpoint_import_reports_changes_and_rebuilds_the_index(world: World) -> None:
    headers = world.as_user("admin")
    again = world.client.post("/v1/admin/grids/import", json=DEMO_GRIDS, headers=headers)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 65, "cells": 48}
    far = generate_grid(townships=1, villages=1, cells=4, origin=(120.0, 30.0), county=("FX", "远县"))
    outside = make_alert("far-1", at=(120.001, 30.001))
    assert world.post_alert(outside).json()["cell_code"] is None
    reply = world.client.post("/v1/admin/grids/import", json=far, headers=headers)
    assert reply.json()["created"] == 8
    assert reply.json()["cells"] == 52
    assert (
        world.post_alert(make_alert("far-2", at=(120.001, 30.001))).json()["cell_code"] == "FX-T01-V01-C001"
    )


def test_endpoint_updates_a_changed_node(world: World) -> None:
    data = copy.deepcopy(DEMO_GRIDS)
    data["features"][-1]["properties"]["workers"] = [{"name": "新网格员", "phone": "1"}]
    reply = world.client.post("/v1/admin/grids/import", json=data, headers=world.as_user("admin"))
    assert (reply.json()["updated"], reply.json()["unchanged"]) == (1, 64)


def test_endpoint_refuses_a_bad_file_and_stores_nothing(world: World) -> None:
    data = generate_grid(townships=1, villages=1, cells=4, origin=(120.0, 30.0), county=("FX", "远县"))
    data["features"][-1]["geometry"] = {"type": "Point", "coordinates": [120.0, 30.0]}
    before = _grid_count(world)
    reply = world.client.post("/v1/admin/grids/import", json=data, headers=world.as_user("admin"))
    assert reply.status_code == 422
    assert "feature 7 (FX-T01-V01-C004)" in reply.json()["detail"][0]["msg"]
    assert _grid_count(world) == before


def test_import_needs_a_global_admin(world: World) -> None:
    for user in ("operator", "case", "admin_t2"):
        reply = world.client.post("/v1/admin/grids/import", json=DEMO_GRIDS, headers=world.as_user(user))
        assert reply.status_code == 403, user


def test_grid_tree_is_nested_and_carries_workers(world: World) -> None:
    tree = world.client.get("/v1/grids", headers=world.as_user("admin")).json()
    assert [n["code"] for n in tree] == ["DXC"]
    county = tree[0]["children"][0]
    assert [t["code"] for t in county["children"]] == ["DX-T01", "DX-T02", "DX-T03"]
    cell = county["children"][0]["children"][0]["children"][0]
    assert cell["level"] == 4
    assert cell["workers"][0]["phone"].startswith("138")


def test_running_server_picks_up_an_import_done_by_the_cli(world: World) -> None:
    far = generate_grid(townships=1, villages=1, cells=4, origin=(120.0, 30.0), county=("FX", "远县"))
    assert world.post_alert(make_alert("far-1", at=(120.001, 30.001))).json()["cell_code"] is None
    assert refresh_grids(world.ctx) is False
    with world.ctx.sessions() as session:  # what `gridwatch api import-grids` does in its own process
        import_grids(session=session, data=far)
        session.commit()
    assert refresh_grids(world.ctx) is True
    assert refresh_grids(world.ctx) is False
    assert (
        world.post_alert(make_alert("far-2", at=(120.001, 30.001))).json()["cell_code"] == "FX-T01-V01-C001"
    )


def test_unchanged_reimport_does_not_bump_the_revision(world: World) -> None:
    with world.ctx.sessions() as session:
        before = grid_revision(session=session)
        import_grids(session=session, data=DEMO_GRIDS)
        session.commit()
        assert grid_revision(session=session) == before
