"""Debian's Chromium driven by Playwright (it cannot download a browser of its own here)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium; fails (never skips) when the Debian package is missing."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, base: str, username: str, password: str) -> None:
    """Fill and send the login form; wait for the queue."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[data-action=login]")
    page.wait_for_selector("main[data-live=queue]")


def poll(page: Page, expression: str, timeout_s: float = 30.0) -> None:
    """Wait until a JavaScript expression is true, polling with `evaluate` (the console's CSP forbids
    the string evaluation that Playwright's own `wait_for_function` polling uses)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {expression}")
        time.sleep(0.05)


CLIPS_LOADED = "[...document.querySelectorAll('video[data-clip]')].every(v => v.readyState >= 1)"
"""Every evidence clip on the page has its metadata (duration, size) loaded."""

IMAGES_LOADED = (
    "[...document.querySelectorAll('img[data-snapshot]:not([loading=lazy])')].every(i => i.complete)"
)
