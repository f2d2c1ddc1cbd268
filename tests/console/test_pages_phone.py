"""The wave's newer pages — dashboard, map, quality, devices, a box, a camera — on a phone in Chinese
and in English, and in English at the duty desk: each answers, nothing sticks out sideways on the
phone, and the English pages carry no Chinese interface text (only names from the data)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.centre import PASSWORD, ConsoleCentre, _cli
from tests.edge.test_centre_config import camera as configured_camera
from tests.support.browser import DESK, PHONE, log_in

pytestmark = pytest.mark.slow

_configured: set[str] = set()
HAN = re.compile(r"[\u4e00-\u9fff]")


def _pages(centre: ConsoleCentre) -> dict[str, str]:
    camera = centre.source(1, 1, 1)
    centre.alert(township=1, village=1, cell=1)  # something on the map, the dashboard and the box
    if camera not in _configured:  # the camera page shows a camera of the box's stored configuration
        admin = _cli(centre.database_url, "add-user", f"root-{len(_configured)}", "--role", "admin")
        stored = httpx.put(
            f"{centre.url}/v1/devices/edge-01/config",
            json={"cameras": [configured_camera(camera, "yard")]},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        assert stored.is_success, stored.text
        _configured.add(camera)
    return {
        "dashboard": "/dashboard", "map": "/map", "quality": "/quality", "devices": "/devices",
        "box": "/devices/edge-01", "camera": f"/devices/edge-01/cameras/{camera}",
    }  # fmt: skip


def _visit(page: Page, centre: ConsoleCentre, path: str) -> None:
    reply = page.goto(centre.url + path)
    assert reply is not None
    assert reply.status == 200, f"{path}: {reply.status}"


def _interface_text(page: Page) -> str:
    """The page's visible text less what comes from the data (names of places, boxes, people)."""
    return str(
        page.evaluate(
            """() => {
              const copy = document.body.cloneNode(true);
              const data = '[data-action=language], [data-drill], [data-name], .name, td, text, option';
              copy.querySelectorAll(data + ', title, script, style').forEach((n) => n.remove());
              return copy.innerText;
            }"""
        )
    )


def _speak(page: Page, locale: str) -> None:
    """Switch the logged-in user's language (kept per user) to `locale` if it is not that already."""
    if page.locator("html").get_attribute("lang") != locale:
        page.click("[data-action=language]")
    expect(page.locator("html")).to_have_attribute("lang", locale)


def test_the_newer_pages_fit_a_phone_in_both_languages(
    browser: Browser, centre: ConsoleCentre, screens: Path
) -> None:
    pages = _pages(centre)
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)  # type: ignore[arg-type]
    try:
        page = phone.new_page()
        log_in(page, centre.url, "sup", PASSWORD)
        for locale in ("zh-CN", "en"):
            _speak(page, locale)
            for name, path in pages.items():
                _visit(page, centre, path)
                expect(page.locator("html")).to_have_attribute("lang", locale)
                page.screenshot(path=screens / f"{name}-{locale}-phone.png", full_page=True)
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{path} ({locale}) is {width} px wide on a phone"
    finally:
        phone.close()


def test_the_newer_pages_in_english_at_the_desk(
    browser: Browser, centre: ConsoleCentre, screens: Path
) -> None:
    pages = _pages(centre)
    desk = browser.new_context(viewport=DESK)  # type: ignore[arg-type]
    try:
        page = desk.new_page()
        log_in(page, centre.url, "sup", PASSWORD)
        _speak(page, "en")
        for name, path in pages.items():
            _visit(page, centre, path)
            expect(page.locator("html")).to_have_attribute("lang", "en")
            page.screenshot(path=screens / f"{name}-en-1366.png", full_page=True)
            left = HAN.findall(_interface_text(page))
            assert not left, f"{path} in English still shows Chinese interface text: {''.join(left)[:80]}"
    finally:
        desk.close()
