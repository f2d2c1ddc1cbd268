"""The quality page in a real Chromium: seeded false-alarm verdicts rank their camera first and its
suggestions' numbers match the seeded data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext

from tests.api.quality_builders import SEEDED, seed_quality
from tests.console.centre import PASSWORD, ConsoleCentre
from tests.support.browser import log_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeded(centre: ConsoleCentre) -> None:
    """The quality builders' alerts posted to the served centre, then judged through REST."""

    def post(alert: dict[str, Any]) -> str:
        centre.register(alert["source_id"], alert["location"]["lon"], alert["location"]["lat"])
        reply = httpx.post(f"{centre.url}/v1/alerts", json=alert, headers=_bearer(centre.device_token))
        assert reply.status_code == 201, reply.text
        return str(reply.json()["event_code"])

    def act(code: str, body: dict[str, Any]) -> None:
        reply = centre.act(code, body)
        assert reply.status_code == 200, reply.text

    seed_quality(post, act)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.usefixtures("seeded")
def test_the_noisy_camera_is_first_and_its_suggestions_match_the_seeded_data(
    desk: BrowserContext, centre: ConsoleCentre, screens: Path
) -> None:
    page = desk.new_page()
    log_in(page, centre.url, "sup", PASSWORD)
    page.goto(f"{centre.url}/quality")
    rows = page.locator("tr[data-camera]")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.camera)") == [
        "edge-01/cam-gate",
        "edge-01/cam-yard",
    ]
    gate = rows.first
    false = [s for s, _ in SEEDED["cam-gate"]["false"]]
    ok = [s for s, _ in SEEDED["cam-gate"]["confirmed"]]
    assert gate.locator("[data-col=false_30]").inner_text() == str(len(false))
    assert float(str(gate.locator("[data-col=precision_30]").get_attribute("data-value"))) == round(
        len(ok) / (len(ok) + len(false)), 4
    )
    tip = gate.locator("[data-suggestion=threshold]")
    threshold = float(str(tip.get_attribute("data-threshold")))
    removed = sum(s < threshold for s in false)
    lost = sum(s < threshold for s in ok)
    assert (tip.get_attribute("data-fa-removed"), tip.get_attribute("data-ok-removed")) == (
        str(removed),
        str(lost),
    )
    assert f"{threshold:.2f}" in tip.inner_text()
    assert f"{round(100 * removed / len(false))}%" in tip.inner_text()
    assert removed == 8
    x1, y1, x2, y2 = (
        int(v) for v in str(gate.locator("[data-suggestion=mask]").get_attribute("data-region")).split(",")
    )
    centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for _, b in SEEDED["cam-gate"]["false"]]
    inside = sum(x1 <= x < x2 and y1 <= y < y2 for x, y in centres)
    assert gate.locator("[data-suggestion=mask]").get_attribute("data-fa-inside") == str(inside)
    assert rows.nth(1).locator("[data-suggestion]").count() == 0
    page.screenshot(path=screens / "quality-1366.png", full_page=True)


@pytest.mark.usefixtures("seeded")
def test_operators_are_not_shown_the_quality_page(desk: BrowserContext, centre: ConsoleCentre) -> None:
    page = desk.new_page()
    log_in(page, centre.url, "op1", PASSWORD)
    assert page.locator("[data-nav=quality]").count() == 0
    reply = page.goto(f"{centre.url}/quality")
    assert reply is not None
    assert reply.status == 403
