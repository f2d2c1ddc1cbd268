"""Benchmark of the central API; run `python bench/api.py` (not part of the tests).

1. alerts/s accepted by `POST /v1/alerts` (no evidence) under concurrent load, against a plain
   endpoint that does one ORM insert and commit per request — both on SQLite (WAL, synchronous
   FULL), each served by uvicorn (with its standard uvloop/httptools extras, as installed) in its
   own process, loaded by the same keep-alive client in this process;
2. point → cell lookups/s over 42,700 generated 网格 polygons (vectorised STRtree queries).

For scale it also measures `ceiling_per_s`: the same server stack answering a FastAPI route that
validates the same bodies and stores nothing, and `mean_batch`, the alerts per group commit that
the GridWatch server reported in its /metrics.

With `--baseline CHECKOUT` (another checkout, e.g. a git worktree of an older commit) the GridWatch
server of that checkout is loaded too, in the same rounds with the same client load: its own code
(`bench/api.py --serve gridwatch` there, its packages first on PYTHONPATH) on its own SQLite
database prepared by its own `prepare_gridwatch_db`. For both servers it reports alerts/s and the
server process's CPU per alert (`/proc/<pid>/stat` before and after the load), with the ratios
current / baseline.

The last line printed is JSON with alerts_per_s, plain_per_s, ratio_vs_plain and lookups_per_s
(and with --baseline, `vs_baseline`). Run `python bench/api.py` or `python -m bench.api` from the
repository root.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script, this file's folder leads sys.path and `api` would import this file.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI
from shapely.geometry import shape
from sqlalchemy import JSON, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.app import build_context, create_app
from api.db import make_engine, make_sessionmaker
from api.gridgen import generate_grid
from api.logic.gridindex import GridIndex
from api.migrate import upgrade
from api.schemas.devices import SourceRow
from api.services.grids import import_grids
from api.services.inventory import import_sources
from api.services.principals import create_device
from api.settings import ApiSettings
from bench.checkout import code_env, commit_of, compared, process_cpu_s, run_json
from gridwatch.contracts.alert import Alert
from tests.api.builders import demo_source_rows

REPO = Path(__file__).resolve().parents[1]
CENTRE = REPO / "configs" / "centre.example.yaml"
KINDS = ("plain", "gridwatch", "ceiling")
# Run in another checkout (both this and older versions of this file have `prepare_gridwatch_db`).
PREPARE = (
    "import json, sys; from bench.api import prepare_gridwatch_db as prepare; "
    "print(json.dumps({'token': prepare(sys.argv[1])}))"
)


@dataclass(frozen=True)
class Target:
    """A server to load: `name` in the results, the app `--serve` starts, from which checkout, its
    database and the token its alerts carry."""

    name: str
    serve: str
    url: str
    token: str
    checkout: Path = REPO


@dataclass(frozen=True)
class Measured:
    """One server's run: alerts/s accepted, its process's CPU ms per alert, mean alerts per commit."""

    rate: float
    cpu_ms: float
    batch: float | None


class PlainBase(DeclarativeBase):
    """Tables of the plain comparison endpoint."""


class PlainAlert(PlainBase):
    """One row per posted alert, nothing else."""

    __tablename__ = "plain_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


def plain_app(url: str) -> FastAPI:
    """A FastAPI app whose only route inserts the alert with one ORM insert and commit."""
    engine = make_engine(url)
    PlainBase.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    app = FastAPI()

    @app.post("/v1/alerts", status_code=201)
    def post_alert(alert: Alert) -> dict[str, str]:
        with sessions() as session:
            session.add(PlainAlert(alert_id=alert.alert_id, payload=alert.model_dump(mode="json")))
            session.commit()
        return {"alert_id": alert.alert_id}

    return app


def ceiling_app() -> FastAPI:
    """The same HTTP stack and body validation, storing nothing: the most any endpoint can do here."""
    app = FastAPI()

    @app.post("/v1/alerts", status_code=201)
    async def post_alert(alert: Alert) -> dict[str, str]:
        return {"alert_id": alert.alert_id}

    return app


def serve(kind: str, url: str, port: int) -> None:
    """Server process: the GridWatch app, the plain app or the ceiling app on 127.0.0.1:port."""
    if kind == "plain":
        app = plain_app(url)
    elif kind == "ceiling":
        app = ceiling_app()
    else:
        app = create_app(ApiSettings(database_url=url, centre_config=CENTRE))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def prepare_gridwatch_db(url: str) -> str:
    """Migrate, import the demo county, register the edge box and a camera in every cell; its token."""
    ctx = build_context(ApiSettings(database_url=url, centre_config=CENTRE))
    upgrade(ctx.engine)
    grids = json.loads((REPO / "configs" / "demo-county-grids.geojson").read_text("utf-8"))
    with ctx.sessions() as session:
        import_grids(session=session, data=grids)
        _device, token = create_device(session=session, device_id="edge-01", kind="edge")
        session.flush()
        rows = [SourceRow.model_validate(row) for row in demo_source_rows("edge-01")]
        import_sources(session=session, grids=ctx.grids, rows=rows, now=datetime.now(UTC))
        session.commit()
    ctx.engine.dispose()
    assert token is not None
    return token


def prepare_in(checkout: Path, url: str) -> str:
    """`prepare_gridwatch_db` of `checkout`'s own code (its migrations and set-up); its token."""
    if checkout == REPO:
        return prepare_gridwatch_db(url)
    return str(run_json(checkout, [sys.executable, "-c", PREPARE, url])["token"])


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(kind: str, url: str, checkout: Path = REPO) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server process of `checkout`'s code and wait until it accepts connections."""
    port = free_port()
    script = checkout / "bench" / "api.py"
    cmd = [sys.executable, str(script), "--serve", kind, "--url", url, "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=checkout, env=code_env(checkout))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def alert_bodies(count: int, run: str) -> list[bytes]:
    """`count` alerts from the cameras of the demo county's cells (`demo_source_rows`), four kinds,
    observed in the last minute."""
    rng = np.random.default_rng(1)
    sources = demo_source_rows("edge-01")
    kinds = ["intrusion", "crowd", "smoke", "loitering"]
    now = datetime.now(UTC)
    bodies = []
    for i in range(count):
        body = {
            "alert_id": f"{run}-{i}",
            "device_id": "edge-01",
            "source_id": (source := sources[int(rng.integers(len(sources)))])["source_id"],
            "source_kind": "camera",
            "kind": kinds[i % 4],
            "severity": "high",
            "observed_at": (now - timedelta(seconds=float(rng.uniform(0, 60)))).isoformat(),
            "location": {"lon": source["lon"], "lat": source["lat"]},
        }
        bodies.append(json.dumps(body).encode())
    return bodies


def request_bytes(port: int, body: bytes, token: str) -> bytes:
    """A keep-alive HTTP/1.1 POST /v1/alerts request."""
    head = (
        f"POST /v1/alerts HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _worker(port: int, requests: list[bytes], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in requests:
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            statuses.append(int(status_line.split()[1]))
    finally:
        writer.close()
        await writer.wait_closed()


async def load(port: int, requests: list[bytes], concurrency: int) -> tuple[float, list[int]]:
    """Send all requests over `concurrency` keep-alive connections; returns (seconds, statuses)."""
    statuses: list[int] = []
    shares = [requests[i::concurrency] for i in range(concurrency)]
    start = time.perf_counter()
    await asyncio.gather(*(_worker(port, share, statuses) for share in shares))
    return time.perf_counter() - start, statuses


def mean_batch(port: int) -> float:
    """Mean alerts per group commit, from the GridWatch server's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    values = dict(
        line.split(" ", 1) for line in text.splitlines() if line.startswith("gridwatch_alert_batch_size_")
    )
    return float(values["gridwatch_alert_batch_size_sum"]) / float(values["gridwatch_alert_batch_size_count"])


def measure(target: Target, count: int, concurrency: int, run: str) -> Measured:
    """Alerts per second accepted by one server (after a short warm-up), its CPU per alert over the
    same load, and for GridWatch the mean batch; fresh alert ids per run."""
    proc, port = start_server(target.serve, target.url, target.checkout)
    try:
        warm = [request_bytes(port, b, target.token) for b in alert_bodies(200, f"{run}-warm")]
        asyncio.run(load(port, warm, concurrency))
        requests = [request_bytes(port, b, target.token) for b in alert_bodies(count, run)]
        cpu_s = process_cpu_s(proc.pid)
        seconds, statuses = asyncio.run(load(port, requests, concurrency))
        cpu_s = process_cpu_s(proc.pid) - cpu_s
        batch = mean_batch(port) if target.serve == "gridwatch" else None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    bad = [s for s in statuses if s != 201]
    if bad or len(statuses) != count:
        raise RuntimeError(f"{target.name}: {len(bad)} non-201 answers, {len(statuses)}/{count} answered")
    return Measured(rate=count / seconds, cpu_ms=cpu_s * 1000 / count, batch=batch)


def targets(tmp: str, baseline: Path | None) -> list[Target]:
    """The servers of one round, in order: plain, [baseline,] GridWatch, ceiling; databases in `tmp`."""
    url = f"sqlite:///{tmp}/gridwatch.db"
    token = prepare_gridwatch_db(url)
    plain = Target("plain", "plain", f"sqlite:///{tmp}/plain.db", token)
    ours = Target("gridwatch", "gridwatch", url, token)
    ceiling = Target("ceiling", "ceiling", url, token)
    if baseline is None:
        return [plain, ours, ceiling]
    old_url = f"sqlite:///{tmp}/baseline.db"
    old = Target("baseline", "gridwatch", old_url, prepare_in(baseline, old_url), baseline)
    return [plain, old, ours, ceiling]


def rounds(servers: list[Target], args: argparse.Namespace) -> dict[str, list[Measured]]:
    """Each server measured once per round, rounds interleaved so load from elsewhere hits all alike."""
    runs: dict[str, list[Measured]] = {target.name: [] for target in servers}
    for round_no in range(args.rounds):
        for target in servers:
            got = measure(target, args.alerts, args.concurrency, f"{target.name}-{round_no}")
            runs[target.name].append(got)
            cpu = f"server CPU {got.cpu_ms:.2f} ms/alert"
            print(f"round {round_no + 1}: {target.name} {got.rate:.0f} alerts/s, {cpu}", file=sys.stderr)
    return runs


def vs_baseline(runs: dict[str, list[Measured]], baseline: Path) -> dict[str, Any]:
    """Alerts/s and server CPU ms per alert of the baseline's GridWatch server and ours (medians), ratios
    current / baseline."""
    old, new = runs["baseline"], runs["gridwatch"]
    return {
        "checkout": str(baseline),
        "commit": commit_of(baseline),
        "alerts_per_s": compared([m.rate for m in old], [m.rate for m in new], digits=1),
        "server_cpu_ms_per_alert": compared([m.cpu_ms for m in old], [m.cpu_ms for m in new]),
    }


def lookups_per_s(points: int) -> dict[str, float]:
    """Vectorised and single-point lookups/s over 42,700 cells (7 乡 × 61 村 × 100 网格)."""
    fc = generate_grid(townships=7, villages=61, cells=100, cell_size=0.001)
    cells = [f for f in fc["features"] if f["properties"]["level"] == "网格"]
    index = GridIndex([f["properties"]["code"] for f in cells], [shape(f["geometry"]) for f in cells])
    rng = np.random.default_rng(2)
    lons = rng.uniform(118.70, 118.70 + 7 * 10 * 0.001, points)
    lats = rng.uniform(32.0, 32.0 + 61 * 10 * 0.001, points)
    start = time.perf_counter()
    found = index.lookup_many(lons, lats)
    vectorised = points / (time.perf_counter() - start)
    start = time.perf_counter()
    for x, y in zip(lons[:20_000], lats[:20_000], strict=True):
        index.lookup(x, y)
    single = 20_000 / (time.perf_counter() - start)
    return {
        "cells": len(index),
        "hit_ratio": float((found >= 0).mean()),
        "vectorised": vectorised,
        "single": single,
    }


def main() -> None:
    """Run both measurements and print the summary line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=3000, help="Alerts per endpoint")
    parser.add_argument("--concurrency", type=int, default=64, help="Concurrent keep-alive connections")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds; medians are reported")
    parser.add_argument("--points", type=int, default=1_000_000, help="Points for the lookup benchmark")
    parser.add_argument(
        "--baseline", type=Path, metavar="CHECKOUT", help="Also load this checkout's server, compare"
    )
    parser.add_argument("--serve", choices=["gridwatch", "plain", "ceiling"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.url, args.port)
        return
    baseline = args.baseline.resolve() if args.baseline else None
    with tempfile.TemporaryDirectory(prefix="gridwatch-bench-") as tmp:
        runs = rounds(targets(tmp, baseline), args)
    plain, ours, ceiling = (statistics.median(m.rate for m in runs[k]) for k in KINDS)
    batches = [m.batch for m in runs["gridwatch"] if m.batch is not None]
    lookups = lookups_per_s(args.points)
    print(f"lookups over {lookups['cells']} cells: single-point {lookups['single']:.0f}/s", file=sys.stderr)
    summary = {
        "alerts_per_s": round(ours, 1),
        "plain_per_s": round(plain, 1),
        "ratio_vs_plain": round(ours / plain, 2),
        "lookups_per_s": round(lookups["vectorised"]),
        "ceiling_per_s": round(ceiling, 1),
        "mean_batch": round(statistics.median(batches), 1),
        "single_lookups_per_s": round(lookups["single"]),
        "cells": lookups["cells"],
        "alerts": args.alerts,
        "rounds": args.rounds,
        "concurrency": args.concurrency,
    }
    if baseline is not None:
        summary["vs_baseline"] = vs_baseline(runs, baseline)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
