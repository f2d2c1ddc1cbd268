"""Login and scoping in Chromium against `gridwatch api serve` on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.api.conftest import _create_pg_database, _drop_pg_database
from tests.console.centre import PASSWORD, ConsoleCentre
from tests.support.browser import IMAGES_LOADED, log_in, poll

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleCentre]:
    """A real `gridwatch api serve` on a fresh PostgreSQL database (migrated by `gridwatch api migrate`)."""
    name = _create_pg_database()
    served = ConsoleCentre(
        f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", tmp_path_factory.mktemp("pg")
    )
    try:
        served.seed()
        served.start()
        yield served
    finally:
        served.stop()
        _drop_pg_database(name)


def test_login_refuses_a_wrong_password(desk: BrowserContext, centre: ConsoleCentre) -> None:
    page = desk.new_page()
    page.goto(centre.url + "/login")
    page.fill("input[name=username]", "op2")
    page.fill("input[name=password]", PASSWORD + "x")
    page.click("[data-action=login]")
    expect(page.locator("[data-error=login]")).to_be_visible()
    log_in(page, centre.url, "op2", PASSWORD)
    expect(page.locator(".who")).to_have_text("op2")


def test_scoping_on_postgres(desk: BrowserContext, centre: ConsoleCentre) -> None:
    mine, theirs = centre.alert(township=2), centre.alert(township=1)
    page = desk.new_page()
    log_in(page, centre.url, "op2", PASSWORD)
    expect(page.locator(f'tr[data-code="{mine}"]')).to_be_visible()
    assert page.locator(f'tr[data-code="{theirs}"]').count() == 0
    reply = page.goto(f"{centre.url}/events/{theirs}")
    assert reply is not None
    assert reply.status == 404
    snapshot = page.goto(f"{centre.url}/events/{theirs}/alerts/whatever/snapshot")
    assert snapshot is not None
    assert snapshot.status == 404
    page.goto(f"{centre.url}/events/{mine}")
    poll(page, IMAGES_LOADED)
    assert page.eval_on_selector("img[data-snapshot]", "i => i.naturalWidth") > 0
