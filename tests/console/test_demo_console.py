"""`gridwatch demo --serve`: the demo's centre stays up with the console; its printed login works in Chromium.

Also takes the README's screenshot from the demo data (`GRIDWATCH_README_SCREENSHOT=docs/console.png`
writes it there as well as into the test's temp folder).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from tests.support.browser import CLIPS_LOADED, DESK, IMAGES_LOADED, log_in, poll
from tests.support.centre import free_port
from tests.support.models import default_model

pytestmark = pytest.mark.slow
LOGIN = re.compile(r"(http://127\.0\.0\.1:\d+)/\s+login: (\S+) / (\S+)\s+\(open now")


class Demo:
    """The demo process and the console login it printed."""

    def __init__(self, process: subprocess.Popen[str], url: str, username: str, password: str) -> None:
        self.process, self.url, self.username, self.password = process, url, username, password


def _read_lines(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`gridwatch demo --serve` on a free port, until its console login is printed."""
    default_model()
    folder = tmp_path_factory.mktemp("demo")
    command = [sys.executable, "-m", "gridwatch", "demo", "--serve", "--port", str(free_port()),
               "--out", str(folder / "demo")]  # fmt: skip
    with (folder / "stderr.log").open("w") as log:
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=log, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    deadline, found = time.monotonic() + 600, None
    while found is None and time.monotonic() < deadline and process.poll() is None:
        try:
            found = LOGIN.search(lines.get(timeout=1))
        except queue.Empty:
            continue
    if found is None:
        process.kill()
        pytest.fail(f"the demo printed no console login:\n{(folder / 'stderr.log').read_text()[-3000:]}")
    try:
        yield Demo(process, found[1], found[2], found[3])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        reader.join(10)
        assert process.stdout is not None
        process.stdout.close()


def test_the_printed_login_opens_the_console_with_the_demo_events(
    browser: Browser, demo: Demo, screens: Path
) -> None:
    context = browser.new_context(viewport=DESK)  # type: ignore[arg-type]
    page = context.new_page()
    log_in(page, demo.url, demo.username, demo.password)
    room = page.locator("tr[data-code*='INTRUSION']").first
    expect(room).to_be_visible()
    page.screenshot(path=screens / "demo-queue-1366.png")
    busiest = max(page.locator("tr[data-code]").all(), key=lambda r: int(r.locator("td.num").inner_text()))
    busiest.locator("a").click()
    page.wait_for_selector(
        "img[data-snapshot], video[data-clip]"
    )  # a clip (poster: the snapshot) or the snapshot
    poll(page, IMAGES_LOADED)
    poll(page, CLIPS_LOADED)
    widths = page.eval_on_selector_all(
        "img[data-snapshot]:not([loading=lazy])", "imgs => imgs.map(i => i.naturalWidth)"
    )
    videos = page.eval_on_selector_all("video[data-clip]", "vs => vs.map(v => v.duration)")
    assert widths or videos
    assert min(widths or [1]) > 0
    assert min(videos or [1]) > 0
    expect(page.locator("#live-state")).to_have_attribute("data-state", "open")
    page.screenshot(path=screens / "demo-event-1366.png")
    readme = os.environ.get("GRIDWATCH_README_SCREENSHOT")
    if readme:  # 256 colours: a UI screenshot stays sharp at a third of the size
        image = Image.open(screens / "demo-event-1366.png").convert("RGB")
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            readme, optimize=True
        )
    context.close()


def test_ctrl_c_stops_the_demo_centre(demo: Demo) -> None:
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=60) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(demo.url.rsplit(":", 1)[1])), timeout=2)
