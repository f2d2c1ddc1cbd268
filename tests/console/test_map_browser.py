"""The grid map in a real Chromium: every demo cell drawn, colours from the REST event list, a click
on a cell opens the queue filtered to it, drill-down to a township."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.api.builders import DEMO_GRIDS
from tests.console.centre import PASSWORD, ConsoleCentre
from tests.console.rest_stats import rest_rows
from tests.support.browser import log_in

pytestmark = pytest.mark.slow
CELLS = {f["properties"]["code"] for f in DEMO_GRIDS["features"] if f["properties"]["level"] == "网格"}


@pytest.fixture(scope="module")
def events(centre: ConsoleCentre) -> dict[str, str]:
    """Open events in three cells; the one in T02-V01-C003 made overdue; one in T03 resolved."""
    made = {
        "open": centre.alert(township=1, village=1, cell=1),
        "open2": centre.alert(township=1, village=2, cell=4, kind="crowd"),
        "late": centre.alert(township=2, village=1, cell=3, kind="fire"),
        "done": centre.alert(township=3, village=2, cell=2),
    }
    dispatch = {"action": "dispatch", "department": "应急管理", "worker": "王伟"}
    for action in (
        {"action": "acknowledge"},
        dispatch,
        {"action": "start"},
        {"action": "resolve", "feedback": "ok"},
    ):
        assert centre.act(made["done"], action).status_code == 200
    db = centre.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.execute("UPDATE events SET ack_due = ? WHERE code = ?", (past, made["late"]))
    return made


def _map(desk: BrowserContext, centre: ConsoleCentre, user: str = "sup", query: str = "") -> Page:
    page = desk.new_page()
    log_in(page, centre.url, user, PASSWORD)
    page.goto(f"{centre.url}/map{query}")
    return page


def _cell_states(page: Page) -> dict[str, str]:
    script = (
        "cells => Object.fromEntries(cells.map(c => [c.dataset.cell, c.getAttribute('class') || 'none']))"
    )
    return dict(page.locator("svg [data-cell]").evaluate_all(script))


def _expected_states(rows: list[dict[str, Any]]) -> dict[str, str]:
    now = datetime.now(UTC)
    states = dict.fromkeys(CELLS, "none")
    for r in rows:
        if r["status"] in {"new", "acknowledged", "dispatched", "in_progress"} and r["cell_code"]:
            late = r["ack_due"] <= now and r["acknowledged_at"] is None
            if late or states[r["cell_code"]] != "overdue":
                states[r["cell_code"]] = "overdue" if late else "open"
    return states


def test_the_map_draws_every_demo_cell_coloured_by_open_events(
    desk: BrowserContext, centre: ConsoleCentre, events: dict[str, str], screens: Path
) -> None:
    page = _map(desk, centre)
    states = _cell_states(page)
    assert set(states) == CELLS
    assert page.locator("svg [data-cell]").count() == len(CELLS)
    expected = _expected_states(rest_rows(centre.url, centre.tokens["sup"]))
    assert states == expected
    assert sorted(s for s in states.values() if s != "none") == ["open", "open", "overdue"]
    assert page.locator("[data-marker]").count() >= 1
    page.screenshot(path=screens / "map-county-1366.png", full_page=True)


def test_a_click_on_a_cell_opens_the_queue_filtered_to_it(
    desk: BrowserContext, centre: ConsoleCentre, events: dict[str, str], screens: Path
) -> None:
    page = _map(desk, centre)
    page.locator('svg [data-cell="DX-T01-V02-C004"]').click()
    page.wait_for_selector("main[data-live=queue]")
    assert "cell=DX-T01-V02-C004" in page.url
    codes = page.locator("tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert codes == [events["open2"]]
    expect(page.locator("select[name=cell]")).to_have_value("DX-T01-V02-C004")
    page.screenshot(path=screens / "map-click-queue-1366.png", full_page=True)


def test_drill_down_to_a_township_and_a_village(
    desk: BrowserContext, centre: ConsoleCentre, events: dict[str, str], screens: Path
) -> None:
    page = _map(desk, centre)
    page.locator('svg [data-drill="DX-T02"]').click()
    expect(page.locator("[data-grid]")).to_have_attribute("data-grid", "DX-T02")
    cells = set(page.locator("svg [data-cell]").evaluate_all("cs => cs.map(c => c.dataset.cell)"))
    assert cells == {c for c in CELLS if c.startswith("DX-T02-")}
    assert page.locator('tr[data-child="DX-T02-V01"] [data-col=overdue]').inner_text() == "1"
    page.locator('aside [data-drill="DX-T02-V01"]').click()
    expect(page.locator("[data-grid]")).to_have_attribute("data-grid", "DX-T02-V01")
    assert page.locator('svg [data-cell="DX-T02-V01-C003"]').get_attribute("class") == "overdue"
    page.screenshot(path=screens / "map-village-1366.png", full_page=True)


def test_an_operator_cannot_open_another_townships_map(
    desk: BrowserContext, centre: ConsoleCentre, events: dict[str, str]
) -> None:
    page = _map(desk, centre, "op1")
    cells = set(page.locator("svg [data-cell]").evaluate_all("cs => cs.map(c => c.dataset.cell)"))
    assert cells == {c for c in CELLS if c.startswith("DX-T01-")}
    reply = page.goto(f"{centre.url}/map?grid=DX-T02")
    assert reply is not None
    assert reply.status == 404
