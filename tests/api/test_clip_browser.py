"""Debian's Chromium plays a clip from the centre's clip route (H.264 in MP4, range requests to seek).

The console's event page (issue 10) embeds the same route in a `<video>`; until it exists, a bare page
holds the element, and Playwright sends the user's bearer token with every request the page makes.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.api.builders import make_alert
from tests.support.centre import DEVICE, CentreApi, Seeded, seed
from tests.support.clips import cut_clip

pytestmark = pytest.mark.slow
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


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The demo grids, device `edge-test` and a supervisor."""
    return seed(tmp_path_factory.mktemp("centre") / "seed.db")


def _upload(centre: CentreApi, token: str, tmp_path: Path) -> str:
    """An alert and its 15 s clip, sent as the edge box would; returns the clip's URL."""
    path, info = cut_clip(tmp_path, "browser-1")
    device = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=centre.url, headers=device, timeout=30) as client:
        reply = client.post("/v1/alerts", json=make_alert("browser-1", device_id=DEVICE))
        assert reply.status_code == 201, reply.text
        code = reply.json()["event_code"]
        declared = client.post("/v1/alerts/browser-1/clip", json=info.model_dump(mode="json"))
        assert declared.status_code == 200, declared.text
        data = path.read_bytes()
        headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
        assert client.put("/v1/alerts/browser-1/clip", content=data, headers=headers).json()["complete"]
    detail = httpx.get(
        f"{centre.url}/v1/events/{code}", headers={"Authorization": f"Bearer {centre.user_token}"}
    )
    return f"{centre.url}{detail.json()['alerts'][0]['clip']['url']}"


def test_chromium_plays_and_seeks_a_clip(tmp_path: Path, seeded: Seeded) -> None:
    assert CHROMIUM.exists(), "the browser tests need Debian's Chromium: apt-get install chromium"
    centre = CentreApi(seeded, tmp_path)
    centre.start()
    try:
        url = _upload(centre, seeded.device_token, tmp_path)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {centre.user_token}"})
            page = context.new_page()
            page.set_content(f'<video id="clip" controls muted preload="auto" src="{url}"></video>')
            video = "document.getElementById('clip')"
            page.wait_for_function(f"{video}.readyState >= 2 || {video}.error !== null", timeout=30_000)
            state, duration, error = page.evaluate(f"[{video}.readyState, {video}.duration, {video}.error]")
            page.evaluate(f"{video}.currentTime = 12")
            page.wait_for_function(f"!{video}.seeking && {video}.readyState >= 2", timeout=30_000)
            position = page.evaluate(f"{video}.currentTime")
            page.screenshot(path=str(tmp_path / "clip.png"))
            browser.close()
    finally:
        centre.stop()
    print(f"readyState {state}, duration {duration} s, seeked to {position} s; {tmp_path / 'clip.png'}")
    assert error is None
    assert state >= 2
    assert 14.0 < duration < 16.5
    assert position == pytest.approx(12, abs=0.2)
