"""The wall dashboard in a real Chromium: its numbers equal those computed from the REST event list."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from api.db import make_engine, make_sessionmaker
from tests.api.stats_builders import event_rows, expected_stats
from tests.console.centre import PASSWORD, ConsoleCentre
from tests.console.rest_stats import rest_rows
from tests.support.browser import log_in, poll

pytestmark = pytest.mark.slow
ZONE = ZoneInfo("Asia/Shanghai")  # configs/centre.example.yaml


@pytest.fixture(scope="module")
def seeded(centre: ConsoleCentre) -> None:
    """300 events of every status over 40 days, written straight into the centre's database."""
    engine = make_engine(centre.database_url)
    with make_sessionmaker(engine)() as session:
        event_rows(session, datetime.now(UTC), 300, seed=11)
    engine.dispose()


def _dashboard(desk: BrowserContext, centre: ConsoleCentre, user: str) -> Page:
    page = desk.new_page()
    log_in(page, centre.url, user, PASSWORD)
    page.goto(f"{centre.url}/dashboard")
    return page


def _numbers(page: Page) -> dict[str, Any]:
    def stat(name: str, attr: str | None = None) -> str:
        node = page.locator(f'[data-stat="{name}"]')
        return str(node.get_attribute(attr) if attr else node.inner_text())

    def share(name: str) -> float | None:
        value = stat(name, "data-share")
        return None if value == "None" else float(value)

    return {
        "open": int(stat("open")),
        "overdue": {k: int(stat(f"overdue_{k}" if k != "total" else "overdue"))
                    for k in ("total", "ack", "feedback", "resolution")},
        "sla": {k: share(f"sla_{k}") for k in ("ack", "feedback", "resolution")},
        "median_ack_seconds": float(stat("median_ack", "data-seconds")),
        "open_by_type": {li.get_attribute("data-key"): int(li.locator("[data-value]").inner_text())
                         for li in page.locator('[data-bars="open_by_type"] li[data-key]').all()},
        "trend_30d": [(g.get_attribute("data-day"), int(str(g.get_attribute("data-created"))),
                       int(str(g.get_attribute("data-resolved"))))
                      for g in page.locator('[data-trend="30d"] g[data-day]').all()],
        "mean": float(stat("satisfaction", "data-mean")),
    }  # fmt: skip


def _check(page: Page, want: dict[str, Any]) -> None:
    got = _numbers(page)
    assert got["open"] == want["open"]
    assert got["overdue"] == want["overdue"]
    assert got["sla"] == want["sla"]
    assert got["median_ack_seconds"] == pytest.approx(want["median_ack_seconds"], abs=0.01)
    assert got["open_by_type"] == want["open_by_type"]
    assert got["trend_30d"] == want["trend_30d"]
    assert got["mean"] == want["satisfaction"][1]


@pytest.mark.usefixtures("seeded")
def test_the_dashboard_shows_the_numbers_of_the_rest_event_list(
    browser: Browser, centre: ConsoleCentre, screens: Path
) -> None:
    wall = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = _dashboard(wall, centre, "sup")
        _check(page, expected_stats(rest_rows(centre.url, centre.tokens["sup"]), datetime.now(UTC), ZONE))
        page.screenshot(path=screens / "dashboard-1920.png", full_page=True)
    finally:
        wall.close()


@pytest.mark.usefixtures("seeded")
def test_a_scoped_operator_sees_their_townships_numbers(
    desk: BrowserContext, centre: ConsoleCentre, screens: Path
) -> None:
    page = _dashboard(desk, centre, "op1")
    rows = rest_rows(centre.url, centre.tokens["op1"])
    assert rows
    assert all(r["grid_path"].startswith("/DXC/DX/DX-T01/") for r in rows)
    _check(page, expected_stats(rows, datetime.now(UTC), ZONE))
    assert page.locator("tr[data-township]").evaluate_all("rows => rows.map(r => r.dataset.township)") == [
        "DX-T01"
    ]
    page.screenshot(path=screens / "dashboard-1366.png", full_page=True)


@pytest.mark.usefixtures("seeded")
def test_a_new_alert_updates_the_dashboard_in_place(desk: BrowserContext, centre: ConsoleCentre) -> None:
    page = _dashboard(desk, centre, "sup")
    poll(page, "document.getElementById('live-state').dataset.state === 'open'")
    before = int(page.locator('[data-stat="open"]').inner_text())
    page.evaluate("window.notReloaded = true")
    centre.alert(township=3, cell=4, kind="fire")
    poll(page, f"Number(document.querySelector('[data-stat=open]').textContent) === {before + 1}")
    assert page.evaluate("window.notReloaded === true")
