"""The map's device markers follow the devices page's scoping rule: a box registered in a neighbouring
township is not drawn on a township's map even where its point lies inside that map's frame."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from api.services.gridmap import grid_map
from api.services.principals import create_device, principal_for_token
from tests.api.builders import CELL, ORIGIN, cell_center
from tests.api.conftest import World
from tests.api.console_helpers import give_passwords, log_in

BORDER = ORIGIN[0] + 2 * CELL
"""Longitude of the line between DX-T01 and DX-T02 (2 cells of each village side by side)."""
PLACES = {
    "box-t1": cell_center(1, 2, 1),
    "box-t2": (BORDER + CELL / 20, cell_center(1, 2, 1)[1]),  # in DX-T02, a few metres past the border
    "box-nowhere": (ORIGIN[0] - CELL / 20, cell_center(1, 2, 1)[1]),  # west of every cell
}


def _register_boxes(world: World) -> None:
    with world.ctx.sessions() as session:
        for box_id in PLACES:
            create_device(session=session, device_id=box_id, kind="edge")
        session.commit()
    for box_id, (lon, lat) in PLACES.items():
        reply = world.client.patch(
            f"/v1/devices/{box_id}", json={"lon": lon, "lat": lat}, headers=world.as_user("admin")
        )
        assert reply.status_code == 200, reply.text


def _markers(world: World, user: str, grid: str) -> set[str]:
    """The boxes drawn on `user`'s map of `grid`; every box of PLACES lies inside that map's frame."""
    with world.ctx.sessions() as session:
        principal = principal_for_token(session=session, token=world.tokens[user])
        layers, now = world.ctx.map_layers, datetime.now(UTC)
        view = grid_map(session=session, layers=layers, principal=principal, code=grid, now=now)
    frame = view.layer.frame
    for lon, lat in PLACES.values():
        x, y = frame.xy(lon, lat)
        assert 0 <= x <= frame.width
        assert 0 <= y <= frame.height
    return {m.device_id for m in view.markers if not m.source_id}


@pytest.mark.parametrize(
    ("user", "shown"),
    [
        ("op_t1", {"box-t1"}),
        ("operator", {"box-t1", "box-nowhere"}),  # global scope: also the box in no cell, as on /devices
    ],
)
def test_a_township_map_shows_only_devices_in_the_users_scope_under_it(
    world: World, user: str, shown: set[str]
) -> None:
    _register_boxes(world)
    assert _markers(world, user, "DX-T01") == shown


def test_the_rendered_map_of_an_operator_has_no_neighbouring_townships_box(world: World) -> None:
    _register_boxes(world)
    give_passwords(world.ctx, "op_t1")
    log_in(world.client, "op_t1")
    html = world.client.get("/map").text
    assert 'data-grid="DX-T01"' in html
    drawn = set(re.findall(r'data-marker="([^"/]+)/"', html))
    assert "box-t1" in drawn
    assert not drawn & {"box-t2", "box-nowhere"}
