"""Benchmark of the grid map at 42,700 cells (7 乡 × 61 村 × 100 网格, gridwatch/gridgen.py); run
`python bench/map.py` (not part of the tests).

A real `gridwatch api serve` on SQLite with `--events` open events (a tenth overdue) spread over the
cells. Measured: the first county view `/map` after a start, three ways on three fresh starts of the
server — without the background warm-up (`map_warm_views=0`: the request builds the shapes; the
baseline), with it and the request sent as soon as `/healthz` answers (it waits for the warm-up's
build in flight), and with it once the warm-up is done (`gridwatch_map_warm_revision` in /metrics;
`warmup_s` from `/healthz` answering) — then warm (median of repeats), page weight raw and gzip; a
township view; the queue page `/` of the same server as the baseline of a console page (ratio); and
in Chromium the time until the 42,700 cells are laid out (`load` event). For scale, `naive_bytes` is
what the cells' paths weigh written with the imported coordinates unsimplified (7 decimals, absolute).
The last line printed is JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import gzip
import json
import os
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
from sqlalchemy import insert, select

from api.db import make_engine, make_sessionmaker
from api.logic.roles import Role
from api.migrate import upgrade
from api.orm import Event, Grid
from api.services.accounts import set_password
from api.services.grids import import_grids
from api.services.principals import create_user
from bench.console import PASSWORD, _session_cookie, _timed_get
from gridwatch.gridgen import generate_grid
from tests.support.browser import ARGS, CHROMIUM, DESK
from tests.support.centre import CENTRE, REPO, free_port

REPEATS = 5


def _naive_bytes(grid: dict[str, Any]) -> int:
    """Cell paths with the imported coordinates as they are: the weight simplification avoids."""
    total = 0
    for f in grid["features"]:
        if f["properties"]["level"] == "网格":
            ring = f["geometry"]["coordinates"][0]
            total += len("M" + "L".join(f"{x:.7f} {y:.7f}" for x, y in ring) + "Z")
    return total


def _event(i: int, code: str, path: str, created: datetime, due: datetime) -> dict[str, Any]:
    return {
        "code": f"DX-M-{i:06d}", "type_code": "FIRE", "category": "bench", "severity": "high",
        "status": "new", "correlation_key": f"m{i}", "cell_code": code, "grid_path": path,
        "located": True, "lon": 118.7, "lat": 32.0, "first_seen": created, "last_seen": created,
        "alert_count": 1, "created_at": created, "ack_due": due, "feedback_due": due,
        "resolution_due": due + timedelta(days=7), "escalation_level": 0,
    }  # fmt: skip


def _prepare(folder: Path, events: int) -> str:
    url = f"sqlite:///{folder / 'map.db'}"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    rng = random.Random(5)
    with make_sessionmaker(engine)() as session:
        import_grids(session=session, data=GRID)
        create_user(session=session, username="bench", role=Role.SUPERVISOR, scope=None)
        set_password(session=session, username="bench", password=PASSWORD, actor="bench", now=now)
        cells = session.execute(select(Grid.code, Grid.path).where(Grid.level == 4)).all()
        rows = []
        for i in range(events):
            code, path = rng.choice(cells)
            created = now - timedelta(minutes=rng.randint(1, 600))
            due = created + (timedelta(minutes=-1) if i % 10 == 0 else timedelta(hours=2))
            rows.append(_event(i, code, path, created, due))
        session.execute(insert(Event), rows)
        session.commit()
    engine.dispose()
    return url


def _browser(base: str, cookie: str) -> float:
    """Median ms from navigation start to `load` of the county map in Chromium (all cells in the DOM)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport=DESK)  # type: ignore[arg-type]
        context.add_cookies([{"name": "gw_session", "value": cookie, "url": base}])
        page = context.new_page()
        times = []
        for _ in range(REPEATS):
            page.goto(base + "/map", wait_until="load")
            assert page.locator("svg [data-cell]").count() == CELLS
            times.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
        browser.close()
    return float(statistics.median(times))


def _serve(url: str, folder: Path, warm_views: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "gridwatch", "api", "serve", "--port", str(port),
               "--database-url", url, "--centre-config", str(CENTRE)]  # fmt: skip
    env = dict(os.environ)
    if warm_views is not None:
        env["GRIDWATCH_API_MAP_WARM_VIEWS"] = str(warm_views)
    with (folder / "api.log").open("a") as log:
        server = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server, port
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the API did not start (see {folder / 'api.log'})")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def _warmed_up(port: int) -> bool:
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    found = re.search(r"^gridwatch_map_warm_revision (\S+)$", metrics, re.MULTILINE)
    return found is not None and float(found[1]) >= 0


def _first_maps(url: str, folder: Path, cookie: str) -> dict[str, Any]:
    """ms of the first `/map` after a start: without the warm-up, with it at once, with it done."""
    plain = {"Cookie": f"gw_session={cookie}"}
    found: dict[str, Any] = {}
    for name, views in (("first_no_warmup_ms", 0), ("first_at_start_ms", None)):
        server, port = _serve(url, folder, views)
        try:
            found[name] = round(_timed_get(port, "/map", plain)[1], 1)
        finally:
            _stop(server)
    server, port = _serve(url, folder)
    try:
        up = time.perf_counter()
        while not _warmed_up(port):
            time.sleep(0.05)
        found["warmup_s"] = round(time.perf_counter() - up, 2)
        found["first_after_warmup_ms"] = round(_timed_get(port, "/map", plain)[1], 1)
    finally:
        _stop(server)
    found["ratio_first_no_warmup_vs_after_warmup"] = round(
        found["first_no_warmup_ms"] / found["first_after_warmup_ms"], 2
    )
    return found


def _measure(port: int, cookie: str) -> dict[str, Any]:
    plain = {"Cookie": f"gw_session={cookie}"}
    zipped = plain | {"Accept-Encoding": "gzip"}
    warm = statistics.median(_timed_get(port, "/map", plain)[1] for _ in range(REPEATS))
    body = httpx.get(f"http://127.0.0.1:{port}/map", headers=plain, timeout=120).content
    wire = httpx.get(f"http://127.0.0.1:{port}/map", headers=zipped, timeout=120)
    _timed_get(port, "/map?grid=DX-T04", plain)
    township = statistics.median(_timed_get(port, "/map?grid=DX-T04", plain)[1] for _ in range(REPEATS))
    _timed_get(port, "/", plain)
    queue = statistics.median(_timed_get(port, "/", plain)[1] for _ in range(REPEATS))
    assert body.count(b"data-cell=") == CELLS
    return {"warm_ms": round(warm, 1), "township_warm_ms": round(township, 1),
            "queue_ms": round(queue, 1), "ratio_map_warm_vs_queue": round(warm / queue, 2),
            "page_bytes": len(body), "page_gzip_bytes": len(gzip.compress(body, 5)),
            "wire_bytes": int(wire.headers.get("content-length", len(wire.content))),
            "bytes_per_cell": round(len(body) / CELLS, 1)}  # fmt: skip


GRID = generate_grid(townships=7, villages=61, cells=100, cell_size=0.001)
CELLS = sum(f["properties"]["level"] == "网格" for f in GRID["features"])


def main() -> None:
    """Run the benchmark; print the final JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000, help="Open events over the cells")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gw-bench-map-") as tmp:
        folder = Path(tmp)
        url = _prepare(folder, args.events)
        server, port = _serve(url, folder)
        try:
            cookie = _session_cookie(f"http://127.0.0.1:{port}")
        finally:
            _stop(server)
        result = {"cells": CELLS, "events": args.events} | _first_maps(url, folder, cookie)
        server, port = _serve(url, folder)
        try:
            result |= _measure(port, cookie)
            result["browser_load_ms"] = round(_browser(f"http://127.0.0.1:{port}", cookie), 1)
        finally:
            _stop(server)
    naive = _naive_bytes(GRID)
    result |= {"naive_bytes": naive, "ratio_naive_vs_page": round(naive / result["page_bytes"], 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
