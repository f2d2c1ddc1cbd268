"""Dashboard, map and quality pages through TestClient: each shows only the user's subtree."""

from __future__ import annotations

import re

from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World
from tests.api.console_helpers import give_passwords, log_in


def test_dashboard_map_and_quality_show_only_the_users_subtree(world: World) -> None:
    give_passwords(world.ctx, "op_t2", "sup_t2")
    for alert_id, township in (("s-t1", 1), ("s-t2", 2), ("s-t2b", 2)):
        body = make_alert(alert_id, at=cell_center(township, 1, 1), source_id=f"cam-t{township}")
        assert world.post_alert(body).status_code == 201
    log_in(world.client, "op_t2")
    dashboard = world.client.get("/dashboard").text
    assert re.search(r'data-stat="open">1<', dashboard)
    assert 'data-township="DX-T02"' in dashboard
    assert 'data-township="DX-T01"' not in dashboard
    cells = set(re.findall(r'data-cell="([^"]+)"', world.client.get("/map").text))
    assert cells
    assert all(c.startswith("DX-T02-") for c in cells)
    for path in ("/map?grid=DX-T01", "/map?grid=DX-T01-V01", "/map/cell/DX-T01-V01-C001"):
        assert world.client.get(path, follow_redirects=False).status_code == 404, path
    assert world.client.get("/map/cell/DX-T02-V01-C001", follow_redirects=False).status_code == 303
    assert world.client.get("/quality").status_code == 403  # operators: not their page
    world.client.cookies.clear()
    log_in(world.client, "sup_t2")
    quality = world.client.get("/quality").text
    assert 'data-camera="edge-01/cam-t2"' in quality
    assert "cam-t1" not in quality


def test_a_map_of_an_unknown_grid_is_the_consoles_404_page(world: World) -> None:
    give_passwords(world.ctx, "op_t2")
    log_in(world.client, "op_t2")
    reply = world.client.get("/map?grid=NOPE")
    assert reply.status_code == 404
    assert 'data-error="detail"' in reply.text
