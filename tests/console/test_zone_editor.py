"""The zone editor in Chromium against a real centre and a real box run with `--centre`: the box's
picture of the camera is shown, an admin draws a zone (intrusion rule) and a line (crossing rule) on
it, names them and saves; the stored configuration gets a new version with them in the camera's
pixels, and the running box applies it in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page
from typer.testing import CliRunner

from api.cli import app as api_cli
from tests.edge.test_centre_config import camera
from tests.support.box import CentreBox
from tests.support.browser import IMAGES_LOADED, log_in, poll
from tests.support.centre import CENTRE, CentreApi, Seeded, seed, wait_for
from tests.support.models import default_model

pytestmark = pytest.mark.slow
PASSWORD = "zone editor 2026"


def _admin(database: Path) -> str:
    result = CliRunner().invoke(
        api_cli,
        ["add-user", "root", "--role", "admin", "--password-stdin", "--database-url", f"sqlite:///{database}",
         "--centre-config", str(CENTRE)],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def seeded_with_admin(tmp_path: Path) -> tuple[Seeded, str]:
    seeded = seed(tmp_path / "seed.db")
    return seeded, _admin(seeded.database)


def test_an_admin_draws_a_zone_and_the_box_applies_it(
    desk: BrowserContext, seeded_with_admin: tuple[Seeded, str], tmp_path: Path, screens: Path
) -> None:
    default_model()
    seeded, admin = seeded_with_admin
    centre = CentreApi(seeded, tmp_path)
    headers = {"Authorization": f"Bearer {admin}"}
    box = CentreBox("", seeded.device_token, tmp_path, poll_s=1)
    page = desk.new_page()
    try:
        centre.start()
        box.centre_url = centre.url
        document = {"cameras": [camera("cam-1", "yard")]}
        assert httpx.put(
            f"{centre.url}/v1/devices/edge-test/config", json=document, headers=headers
        ).is_success
        url = f"{centre.url}/devices/edge-test/cameras/cam-1"
        log_in(page, centre.url, "root", PASSWORD)
        page.goto(url)  # before the box has sent a picture: the zones on a blank area of 1920x1080
        assert page.locator("[data-blank]").is_visible()
        assert page.locator("svg#overlay").get_attribute("viewBox") == "0 0 1920 1080"
        page.screenshot(path=str(screens / "camera-no-picture.png"))
        box.start()
        box.wait_version(1, {"cam-1"})

        def picture_shown() -> bool:
            page.goto(url)
            return page.locator("img[data-snapshot]").count() == 1

        wait_for(picture_shown, "the box's picture of cam-1 on the camera page")
        poll(page, IMAGES_LOADED)
        assert page.locator("svg#overlay polygon.zone").count() == 1  # the zone yard, drawn over the picture
        page.screenshot(path=str(screens / "camera-before.png"))

        draw(page)
        page.screenshot(path=str(screens / "camera-drawn.png"))
        page.click("[data-action=save-rules]")
        page.wait_for_selector("[data-saved='2']")
        page.screenshot(path=str(screens / "camera-saved.png"))

        stored = httpx.get(f"{centre.url}/v1/devices/edge-test/config", headers=headers).json()
        assert (stored["version"], stored["created_by"]) == (2, "console:root")
        check_rules(stored["config"]["cameras"][0]["rules"])
        page.click("[data-link=box-config]")  # the box's versions: 2 by the editor, 1 through the API
        assert page.locator("[data-version-row]").count() == 2
        page.screenshot(path=str(screens / "box-config.png"))
        box.wait_version(2, {"cam-1"})
        wait_for(
            lambda: "updated in place cam-1" in box.log.read_text(), "the box to apply version 2 in place"
        )
    finally:
        page.close()
        box.stop(kill=True)
        centre.stop()


def draw(page: Page) -> None:
    """Draw the zone door (intrusion) and the line gate (crossing) on the picture."""
    page.click("[data-action=draw-zone]")
    stage = page.locator("svg#overlay").bounding_box()
    assert stage is not None
    corners = [(0.10, 0.20), (0.45, 0.20), (0.45, 0.80), (0.10, 0.80)]
    for fx, fy in [*corners, corners[0]]:  # the first corner again closes the polygon
        page.mouse.click(stage["x"] + fx * stage["width"], stage["y"] + fy * stage["height"])
    assert page.locator("svg#overlay polygon.zone").count() == 2
    page.fill("[data-shape-name='1']", "door")
    page.select_option("[data-shape-rule='1']", "intrusion")
    page.click("[data-action=draw-line]")
    for fx, fy in ((0.60, 0.90), (0.90, 0.60)):
        page.mouse.click(stage["x"] + fx * stage["width"], stage["y"] + fy * stage["height"])
    assert page.locator("svg#overlay line.line").count() == 1
    page.fill("[data-shape-name='2']", "gate")


def check_rules(rules: dict[str, Any]) -> None:
    """The stored rules hold yard as it was, and door and gate as drawn, in the camera's pixels."""
    assert [zone["name"] for zone in rules["zones"]] == ["yard", "door"]
    door = rules["zones"][1]["points"]
    assert door[0] == pytest.approx([0.10 * 768, 0.20 * 432], abs=4)  # the camera's pixels
    assert door[2] == pytest.approx([0.45 * 768, 0.80 * 432], abs=4)
    door_rule = {"type": "intrusion", "id": "door-intrusion", "zone": "door", "classes": ["person"]}
    assert door_rule in rules["rules"]
    assert [(ln["name"], ln["start"]) for ln in rules["lines"]] == [
        ("gate", pytest.approx([461, 389], abs=4))
    ]
    gate_rule = {
        "type": "line_crossing",
        "id": "gate-line_crossing",
        "line": "gate",
        "classes": ["person"],
    }
    assert gate_rule in rules["rules"]
    assert {r["id"] for r in rules["rules"]} == {"yard-in", "door-intrusion", "gate-line_crossing"}
