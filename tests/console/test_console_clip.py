"""The event page plays each alert's clip in a <video> with the snapshot as its poster (real Chromium)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.console.centre import PASSWORD, ConsoleCentre
from tests.support.browser import log_in, poll
from tests.support.clips import cut_clip

pytestmark = pytest.mark.slow


def test_the_event_page_plays_the_clip(
    desk: BrowserContext, centre: ConsoleCentre, tmp_path: Path, screens: Path
) -> None:
    path, info = cut_clip(tmp_path, "clip-page-1")
    code = centre.alert(township=1, cell=1, alert_id="clip-page-1")
    device = {"Authorization": f"Bearer {centre.device_token}"}
    with httpx.Client(base_url=centre.url, headers=device, timeout=30) as client:
        assert (
            client.post("/v1/alerts/clip-page-1/clip", json=info.model_dump(mode="json")).status_code == 200
        )
        data = path.read_bytes()
        reply = client.put(
            "/v1/alerts/clip-page-1/clip",
            content=data,
            headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"},
        )
        assert reply.json()["complete"]
    page = desk.new_page()
    log_in(page, centre.url, "op1", PASSWORD)
    page.goto(f"{centre.url}/events/{code}")
    video = "document.querySelector('video[data-clip=\"clip-page-1\"]')"
    poll(page, f"{video} !== null && ({video}.readyState >= 2 || {video}.error !== null)")
    state, duration, error = page.evaluate(f"[{video}.readyState, {video}.duration, {video}.error]")
    poster = page.get_attribute('video[data-clip="clip-page-1"]', "poster")
    page.evaluate(f"{video}.currentTime = 9")
    poll(page, f"!{video}.seeking && {video}.readyState >= 2")
    page.screenshot(path=str(screens / "event-clip.png"), full_page=True)
    print(f"readyState {state}, duration {duration}, poster {poster}; {screens / 'event-clip.png'}")
    assert error is None
    assert state >= 2
    assert duration > 0
    assert poster is not None
    assert "/snapshot" in poster


def test_a_clip_outside_the_operators_subtree_is_404(
    browser: Browser, desk: BrowserContext, centre: ConsoleCentre, tmp_path: Path
) -> None:
    path, info = cut_clip(tmp_path, "clip-page-2", end_s=6.0)
    code = centre.alert(township=1, cell=2, alert_id="clip-page-2")
    device = {"Authorization": f"Bearer {centre.device_token}"}
    with httpx.Client(base_url=centre.url, headers=device, timeout=30) as client:
        assert (
            client.post("/v1/alerts/clip-page-2/clip", json=info.model_dump(mode="json")).status_code == 200
        )
        data = path.read_bytes()
        headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
        assert client.put("/v1/alerts/clip-page-2/clip", content=data, headers=headers).json()["complete"]
    url = f"{centre.url}/events/{code}/alerts/clip-page-2/clip?device_id=edge-01"
    other = browser.new_context()
    try:
        page = other.new_page()
        log_in(page, centre.url, "op2", PASSWORD)  # township 2: the event is in township 1
        assert page.request.get(url).status == 404
    finally:
        other.close()
    page = desk.new_page()
    log_in(page, centre.url, "op1", PASSWORD)
    part = page.request.get(url, headers={"Range": "bytes=0-99"})
    assert (part.status, part.body()) == (206, data[:100])
