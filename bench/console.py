"""Benchmark of the operator console's queue with 10,000 events in scope; `python bench/console.py`.

One real `gridwatch api serve` on SQLite holds 10,000 events of the demo county (mixed types,
severities and statuses over 30 days, some overdue). In the same run it measures, as the median of
repeated loads after a warm-up:

- the JSON list `GET /v1/events?limit=50` (bearer token): time to first byte and to the whole body —
  the baseline — and the same list in urgency order (`order=urgency`, the queue's order);
- the queue page `GET /` (session cookie): time to first byte and to the whole page (it also counts
  five tabs and their unreviewed events);
- the queue in Chromium: navigation start → first byte, → first contentful paint (the rows are in
  the server's HTML, so the first paint shows the rendered queue), → DOMContentLoaded;
- live: an alert posted to `/v1/alerts` → its row shown on an open queue page.

The last line printed is JSON; `ratio_*` compare against the JSON list's total time in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import http.client
import json
import random
import re
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import sync_playwright
from sqlalchemy import insert

from api.db import make_engine, make_sessionmaker
from api.logic.gridstate import GridState
from api.logic.roles import Role
from api.migrate import upgrade
from api.orm import Event
from api.schemas.devices import SourceRow
from api.services.accounts import set_password
from api.services.grids import import_grids
from api.services.inventory import import_sources
from api.services.principals import create_device, create_user
from tests.api.builders import DEMO_GRIDS, cell_center, demo_source_rows, source_at
from tests.support.browser import ARGS, CHROMIUM, DESK, poll
from tests.support.centre import CENTRE, REPO, free_port

EVENTS = 10_000
REPEATS = 15
PASSWORD = "bench password"
TYPES = [
    ("FIRE", "critical"),
    ("INTRUSION", "high"),
    ("CROWD", "high"),
    ("LOITER", "medium"),
    ("PARKING", "low"),
]
STATUSES = ["new"] * 4 + ["acknowledged", "dispatched", "in_progress", "resolved", "closed", "dismissed"]


def _cells() -> list[tuple[str, str]]:
    """(code, path) of every demo cell, paths built from the parents."""
    props = [f["properties"] for f in DEMO_GRIDS["features"]]
    parents = {p["code"]: p.get("parent") for p in props}

    def path(code: str) -> str:
        chain = []
        while code:
            chain.append(code)
            code = parents[code]
        return "/" + "/".join(reversed(chain)) + "/"

    return [(p["code"], path(p["code"])) for p in props if p["level"] == "网格"]


def _event_rows(now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(7)
    cells = _cells()
    rows = []
    for i in range(EVENTS):
        code, path = cells[i % len(cells)]
        type_code, severity = TYPES[i % len(TYPES)]
        created = now - timedelta(minutes=rng.uniform(1, 30 * 24 * 60))
        status = rng.choice(STATUSES)
        lon, lat = cell_center(1, 1, 1)
        rows.append({
            "code": f"DX-{created:%Y%m%d}-{type_code}-B{i:05d}", "type_code": type_code, "category": "bench",
            "severity": severity, "status": status, "correlation_key": f"{code}:{i}", "cell_code": code,
            "grid_path": path, "located": True, "lon": lon, "lat": lat, "first_seen": created,
            "last_seen": created, "alert_count": rng.randint(1, 12), "created_at": created,
            "ack_due": created + timedelta(hours=2), "feedback_due": created + timedelta(hours=48),
            "resolution_due": created + timedelta(days=9),
            "acknowledged_at": None if status == "new" else created + timedelta(minutes=30),
            "escalation_level": 0, "responsible_grid": code,
        })  # fmt: skip
    return rows


def _prepare(folder: Path) -> tuple[str, str, str]:
    """The database URL, a supervisor's API token and the device token."""
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    with sessions() as session:
        import_grids(session=session, data=DEMO_GRIDS)
        _user, token = create_user(session=session, username="bench", role=Role.SUPERVISOR, scope=None)
        set_password(session=session, username="bench", password=PASSWORD, actor="bench", now=now)
        _device, device_token = create_device(session=session, device_id="edge-01", kind="edge")
        session.flush()
        rows = [SourceRow.model_validate(row) for row in demo_source_rows("edge-01")]
        import_sources(session=session, grids=GridState(), rows=rows, now=now)
        session.execute(insert(Event), _event_rows(now))
        session.commit()
    engine.dispose()
    assert device_token is not None
    return url, token, device_token


def _timed_get(port: int, path: str, headers: dict[str, str]) -> tuple[float, float]:
    """(time to first byte, time to the whole body) in ms, on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    first = time.perf_counter()
    body = response.read()
    done = time.perf_counter()
    connection.close()
    assert response.status == 200, (path, response.status, body[:300])
    return (first - start) * 1000, (done - start) * 1000


def _median(port: int, path: str, headers: dict[str, str]) -> tuple[float, float]:
    _timed_get(port, path, headers)  # warm-up
    runs = [_timed_get(port, path, headers) for _ in range(REPEATS)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def _session_cookie(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token[1]})
        return str(client.cookies["gw_session"])


NAV = """() => { const n = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return [n.responseStart, paint ? paint.startTime : NaN, n.domContentLoadedEventEnd]; }"""


def _browser(base: str, cookie: str, device_token: str) -> dict[str, float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport=DESK)  # type: ignore[arg-type]
        context.add_cookies([{"name": "gw_session", "value": cookie, "url": base}])
        page = context.new_page()
        page.goto(base + "/")  # warm-up
        ttfb, paint, dcl = [], [], []
        for _ in range(REPEATS):
            page.goto(base + "/", wait_until="load")
            poll(page, "performance.getEntriesByName('first-contentful-paint').length > 0")
            first, painted, loaded = page.evaluate(NAV)
            assert page.locator("tr[data-code]").count() == 50
            ttfb.append(first)
            paint.append(painted)
            dcl.append(loaded)
        live = _live(page, base, device_token)
        browser.close()
    return {"browser_ttfb_ms": statistics.median(ttfb), "browser_rendered_ms": statistics.median(paint),
            "browser_dcl_ms": statistics.median(dcl), "live_ms": live}  # fmt: skip


def _live(page: Any, base: str, device_token: str) -> float:
    """Median ms from posting an alert to its row on an open queue page (filtered to a type the
    10,000 events do not have, so the new event is on the first page)."""
    page.goto(base + "/?type=GAS")
    poll(page, "document.getElementById('live-state').dataset.state === 'open'")
    delays = []
    for i in range(5):
        lon, lat = cell_center(2, 1 + i // 4, 1 + i % 4)
        body = {"alert_id": f"live-{i}-{time.time()}", "device_id": "edge-01",
                "source_id": source_at((lon, lat)), "source_kind": "camera", "kind": "gas",
                "severity": "critical",
                "observed_at": datetime.now(UTC).isoformat(),
                "location": {"lon": lon, "lat": lat}}  # fmt: skip
        start = time.perf_counter()
        reply = httpx.post(
            f"{base}/v1/alerts", json=body, headers={"Authorization": f"Bearer {device_token}"}
        )
        page.wait_for_selector(
            f'tr[data-code="{reply.json()["event_code"]}"]', state="attached", timeout=30_000
        )
        delays.append((time.perf_counter() - start) * 1000)
    return statistics.median(delays)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, token, device_token = _prepare(folder)
        port = free_port()
        command = [sys.executable, "-m", "gridwatch", "api", "serve", "--port", str(port),
                   "--database-url", url, "--centre-config", str(CENTRE)]  # fmt: skip
        with (folder / "api.log").open("w") as log:
            server = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            bearer = {"Authorization": f"Bearer {token}"}
            json_ttfb, json_total = _median(port, "/v1/events?limit=50", bearer)
            _, urgency_total = _median(port, "/v1/events?limit=50&order=urgency", bearer)
            cookie = _session_cookie(base)
            queue_ttfb, queue_total = _median(port, "/", {"Cookie": f"gw_session={cookie}"})
            browser = _browser(base, cookie, device_token)
        finally:
            server.terminate()
            server.wait(30)
    result = {
        "events_in_scope": EVENTS, "json_ttfb_ms": round(json_ttfb, 1), "json_total_ms": round(json_total, 1),
        "json_urgency_total_ms": round(urgency_total, 1), "queue_ttfb_ms": round(queue_ttfb, 1),
        "queue_total_ms": round(queue_total, 1), **{k: round(v, 1) for k, v in browser.items()},
        "ratio_queue_vs_json": round(queue_total / json_total, 2),
        "ratio_browser_rendered_vs_json": round(browser["browser_rendered_ms"] / json_total, 2),
    }  # fmt: skip
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
