"""Browser tests of the console: one Chromium and one served centre per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.console.centre import ConsoleCentre
from tests.support.browser import DESK, chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, per module: Playwright's sync API keeps an event loop running in
    the thread while it is open, so it must be closed before a worker (pytest-xdist) goes on to
    other modules' tests that run asyncio."""
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests save screenshots (look at them: they are the console as operators see it)."""
    return tmp_path_factory.mktemp("console-screens")


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleCentre]:
    """A real `gridwatch api serve` on a fresh SQLite file."""
    folder = tmp_path_factory.mktemp("console-centre")
    served = ConsoleCentre(f"sqlite:///{folder / 'centre.db'}", folder)
    served.seed()
    served.start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def desk(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile at duty-desk size (1366x768)."""
    context = browser.new_context(viewport=DESK)  # type: ignore[arg-type]
    try:
        yield context
    finally:
        context.close()
