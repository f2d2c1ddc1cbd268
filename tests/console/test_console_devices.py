"""The devices pages in a real Chromium against a real `gridwatch api serve`: offline first, filters,
a box's latest heartbeat and its sources; an operator sees only the devices of their subtree."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.console.centre import PASSWORD, ConsoleCentre, _cli
from tests.support.browser import DESK, log_in

pytestmark = pytest.mark.slow


def _heartbeat(centre: ConsoleCentre, cameras: list[dict[str, object]]) -> None:
    beat = {
        "device_id": "edge-01", "sent_at": datetime.now(UTC).isoformat(), "version": "0.1.0",
        "uptime_s": 86_400 + 3725, "outbox_depth": 3, "parked": 1, "cpu_percent": 41.2,
        "memory_bytes": 312 * 1048576, "cameras": cameras,
    }  # fmt: skip
    reply = httpx.post(
        f"{centre.url}/v1/devices/me/heartbeat",
        json=beat,
        headers={"Authorization": f"Bearer {centre.device_token}"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text


def test_devices_and_a_box_page_in_the_browser(
    desk: BrowserContext, browser: Browser, centre: ConsoleCentre, screens: Path
) -> None:
    gate, lot, far = centre.source(1, 1, 1), centre.source(1, 2, 2), centre.source(2, 1, 1)
    _cli(centre.database_url, "add-device", "edge-02")
    _cli(centre.database_url, "add-source", "edge-02", "river-gauge", "--kind", "sensor",
         "--lon", "118.7062", "--lat", "32.0021", "--name", "河道水位计")  # fmt: skip
    _heartbeat(centre, [
        {"id": gate, "state": "streaming", "fps": 5.0, "frames": 43_000},
        {"id": lot, "state": "reconnecting", "fps": 0.0, "frames": 12_000},
        {"id": far, "state": "streaming", "fps": 4.8, "frames": 41_000},
    ])  # fmt: skip
    page = desk.new_page()
    log_in(page, centre.url, "sup", PASSWORD)
    page.click("[data-nav=devices]")
    rows = page.locator("tr[data-device]")
    expect(rows.first).to_have_attribute("data-device", f"edge-01/{lot}")
    expect(rows.first).to_have_attribute("data-state", "offline")
    page.screenshot(path=screens / "devices-zh-1366.png", full_page=True)
    page.select_option("select[name=kind]", "edge")
    expect(page.locator("tr[data-device]")).to_have_count(2)
    assert "kind=edge" in page.url
    page.click("a[href='/devices/edge-01'] >> nth=0")
    expect(page.locator("[data-box-state]")).to_have_attribute("data-box-state", "online")
    expect(page.locator("[data-outbox]")).to_have_text("3")
    expect(page.locator(f"tr[data-source='{lot}']")).to_have_attribute("data-state", "offline")
    page.screenshot(path=screens / "device-box-zh-1366.png", full_page=True)
    page.click("[data-action=language]")
    expect(page.locator("[data-heartbeat] h2")).to_have_text("Latest heartbeat")
    page.screenshot(path=screens / "device-box-en-1366.png", full_page=True)
    page.click("[data-action=language]")
    operator = browser.new_context(viewport=DESK)  # type: ignore[arg-type]
    try:
        other = operator.new_page()
        log_in(other, centre.url, "op2", PASSWORD)
        other.goto(f"{centre.url}/devices")
        expect(other.locator(f"tr[data-device='edge-01/{far}']")).to_be_visible()
        assert other.locator(f"tr[data-device='edge-01/{gate}']").count() == 0
        assert other.locator("tr[data-device='edge-02/river-gauge']").count() == 0
        reply = other.goto(f"{centre.url}/devices/edge-02")
        assert reply is not None
        assert reply.status == 404
    finally:
        operator.close()
