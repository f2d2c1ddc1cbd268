"""The map's shapes are built before anyone asks (at start and after a grid import), once per view:
a request that comes while a view is being built waits for that build instead of starting another."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.orm import Grid
from api.services.gridmap_layer import Layer, LayerCache, build_layer
from api.services.grids import grid_revision
from gridwatch.gridgen import generate_grid
from tests.api.conftest import World
from tests.api.console_helpers import give_passwords, log_in
from tests.support.centre import wait_for

COUNTY, T01, T02 = "/DXC/DX/", "/DXC/DX/DX-T01/", "/DXC/DX/DX-T02/"
"""Default views of the seeded users: global scope (the city of one county opens on it), DX-T01, DX-T02."""


def _revision(world: World) -> int:
    with world.ctx.sessions() as session:
        return grid_revision(session=session)


def _warmed(world: World, *paths: str) -> None:
    revision = _revision(world)
    keys = {(revision, path) for path in paths}
    wait_for(lambda: keys <= set(world.ctx.map_layers.cached()), f"map views {paths} built")


def test_after_start_the_users_default_views_are_built_without_a_request(world: World) -> None:
    _warmed(world, COUNTY, T01, T02)
    built = world.ctx.map_layers.builds
    assert built == 3
    give_passwords(world.ctx, "op_t2")
    log_in(world.client, "op_t2")
    cells = set(re.findall(r'data-cell="([^"]+)"', world.client.get("/map").text))
    assert cells == {f"DX-T02-V0{v}-C00{c}" for v in range(1, 5) for c in range(1, 5)}
    assert world.ctx.map_layers.builds == built  # served from the warm-up's build
    assert world.client.get("/map?grid=DX-T02-V01").status_code == 200
    assert world.ctx.map_layers.builds == built + 1  # a view nobody opens by default: built on request


def test_a_grid_import_builds_the_new_default_view_and_drops_the_old_revisions(world: World) -> None:
    _warmed(world, COUNTY)
    far = generate_grid(townships=1, villages=1, cells=4, origin=(120.0, 30.0), county=("FX", "远县"))
    reply = world.client.post("/v1/admin/grids/import", json=far, headers=world.as_user("admin"))
    assert reply.status_code == 200, reply.text
    _warmed(world, "/", T01, T02)  # two cities now: the whole area's map opens on the top
    revision = _revision(world)
    assert {r for r, _ in world.ctx.map_layers.cached()} == {revision}


class _Gate:
    """A real layer build whose first run waits until it is let go (or fails then, if told to)."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.started, self.go = threading.Event(), threading.Event()
        self.calls = 0
        self.fail_first = fail_first

    def __call__(self, session: Session, path: str, node_id: int | None) -> Layer:
        self.calls += 1
        if self.calls == 1:
            self.started.set()
            assert self.go.wait(30)
            if self.fail_first:
                raise RuntimeError("the database went away")
        return build_layer(session, path, node_id)


def _get_in_thread(world: World, layers: LayerCache, found: dict[str, Any], name: str) -> threading.Thread:
    def run() -> None:
        with world.ctx.sessions() as session:
            node = session.scalars(select(Grid).where(Grid.path == T01)).one()
            try:
                found[name] = layers.get(session=session, revision=1, path=T01, node_id=node.id)
            except RuntimeError as exc:
                found[name] = exc

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@pytest.mark.parametrize("fail_first", [False, True])
def test_a_caller_during_a_build_waits_for_it_and_builds_only_if_it_failed(
    world: World, fail_first: bool
) -> None:
    gate = _Gate(fail_first=fail_first)
    layers, found = LayerCache(build=gate), dict[str, Any]()
    first = _get_in_thread(world, layers, found, "first")
    assert gate.started.wait(30)
    second = _get_in_thread(world, layers, found, "second")
    second.join(0.5)
    assert second.is_alive()  # waiting for the first build, not building its own
    assert gate.calls == 1
    gate.go.set()
    first.join(30)
    second.join(30)
    assert isinstance(found["second"], Layer)
    assert len(found["second"].cells) == 16
    if fail_first:
        assert isinstance(found["first"], RuntimeError)
        assert (gate.calls, layers.builds) == (2, 1)  # the waiter built it after the failed build
    else:
        assert found["first"] is found["second"]
        assert (gate.calls, layers.builds) == (1, 1)
    assert layers.cached() == [(1, T01)]
