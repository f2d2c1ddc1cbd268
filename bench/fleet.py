"""Benchmark of the fleet at the centre; run `python bench/fleet.py` (not part of the tests).

A real GridWatch server (uvicorn, its own process, SQLite as `bench/api.py` uses it) with
`--boxes` edge boxes of `--cameras` registered cameras each. Three phases, in one run:

1. alerts alone: `--alerts` alerts over `--concurrency` keep-alive connections → alerts/s;
2. the same number of alerts while every box posts a heartbeat (all its cameras' states) every
   `--period` seconds, spread evenly → alerts/s under heartbeat load, and the heartbeats taken;
3. heartbeats alone for `--hb-seconds` → heartbeats/s sustained (answered 200 / elapsed), how far
   behind schedule the last one was sent, and the server's CPU over that phase (share of one core).

The last line printed is JSON: heartbeats_per_s, heartbeats_target_per_s, alerts_per_s_alone,
alerts_per_s_with_heartbeats, ratio, heartbeat_cpu_share (of one core) and cpu_ms_per_heartbeat.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime

from api.app import build_context
from api.migrate import upgrade
from api.schemas.devices import SourceRow
from api.services.grids import import_grids
from api.services.inventory import import_sources
from api.services.principals import create_device
from api.settings import ApiSettings
from bench.api import CENTRE, REPO, load, start_server
from tests.api.builders import DEMO_CELLS, cell_center

TICK = os.sysconf("SC_CLK_TCK")
_TAKEN = [0]
"""Heartbeats taken so far in this process (read while a heartbeat flow runs)."""


def prepare(url: str, boxes: int, cameras: int) -> dict[str, str]:
    """Migrate, import the demo county, register the boxes and their cameras; the boxes' tokens."""
    ctx = build_context(ApiSettings(database_url=url, centre_config=CENTRE))
    upgrade(ctx.engine)
    grids = json.loads((REPO / "configs" / "demo-county-grids.geojson").read_text("utf-8"))
    tokens: dict[str, str] = {}
    now = datetime.now(UTC)
    with ctx.sessions() as session:
        import_grids(session=session, data=grids)
        rows = []
        for b in range(boxes):
            box = f"box-{b:04d}"
            _device, token = create_device(session=session, device_id=box, kind="edge")
            assert token is not None
            tokens[box] = token
            lon, lat = cell_center(*DEMO_CELLS[b % len(DEMO_CELLS)])
            rows += [SourceRow(box_id=box, source_id=f"cam-{c:02d}", kind="camera",
                               lon=lon, lat=lat) for c in range(cameras)]  # fmt: skip
        session.flush()
        import_sources(session=session, grids=ctx.grids, rows=rows, now=now)
        session.commit()
    ctx.engine.dispose()
    return tokens


def _request(port: int, path: str, body: bytes, token: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def alert_requests(port: int, tokens: dict[str, str], count: int, run: str, cameras: int = 20) -> list[bytes]:
    """`count` intrusion alerts from the cameras of the first ten boxes, observed now."""
    boxes = list(tokens)[:10]
    now = datetime.now(UTC).isoformat()
    out = []
    for i in range(count):
        box = boxes[i % len(boxes)]
        lon, lat = cell_center(*DEMO_CELLS[(i % len(boxes)) % len(DEMO_CELLS)])
        body = {"alert_id": f"{run}-{i}", "device_id": box, "source_id": f"cam-{i % cameras:02d}",
                "source_kind": "camera", "kind": "intrusion", "severity": "high", "observed_at": now,
                "location": {"lon": lon, "lat": lat}}  # fmt: skip
        out.append(_request(port, "/v1/alerts", json.dumps(body).encode(), tokens[box]))
    return out


def heartbeat(port: int, box: str, token: str, cameras: int, started: float) -> bytes:
    """One heartbeat of `box` with every camera streaming."""
    body = {
        "device_id": box, "sent_at": datetime.now(UTC).isoformat(), "version": "0.1.0",
        "uptime_s": round(time.monotonic() - started, 1), "outbox_depth": 0, "parked": 0,
        "cpu_percent": 55.0, "memory_bytes": 400_000_000,
        "cameras": [{"id": f"cam-{c:02d}", "state": "streaming", "fps": 5.0, "frames": 1000}
                    for c in range(cameras)],
    }  # fmt: skip
    return _request(port, "/v1/devices/me/heartbeat", json.dumps(body).encode(), token)


async def _send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def heartbeats(
    port: int,
    tokens: dict[str, str],
    cameras: int,
    period: float,
    seconds: float,
    connections: int,
    stop: asyncio.Event | None = None,
) -> tuple[int, int, float]:
    """Every box beats every `period` s (evenly spread) for `seconds` or until `stop`; (taken,
    refused, worst lag s). Requests in flight are answered before it returns."""
    queue: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
    started = time.monotonic()
    boxes = list(tokens)
    taken, refused, lag = 0, 0, 0.0

    async def schedule() -> None:
        k = 0
        while (due := started + k * period / len(boxes)) < started + seconds and not (stop and stop.is_set()):
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await queue.put((due, boxes[k % len(boxes)]))
            k += 1

    async def worker() -> None:
        nonlocal taken, refused, lag
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                due, box = await queue.get()
                lag = max(lag, time.monotonic() - due)
                status = await _send(reader, writer, heartbeat(port, box, tokens[box], cameras, started))
                taken, refused = taken + (status == 200), refused + (status != 200)
                _TAKEN[0] += status == 200
                queue.task_done()
        finally:
            writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    await schedule()
    await queue.join()
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    return taken, refused, lag


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def alerts_with_heartbeats(
    port: int, tokens: dict[str, str], args: argparse.Namespace, requests: list[bytes]
) -> tuple[float, int]:
    """Alerts/s while every box beats (the beats start first and end after); heartbeats taken."""
    stop = asyncio.Event()
    flow = heartbeats(port, tokens, args.cameras, args.period, 3600, args.hb_connections, stop)
    beats = asyncio.create_task(flow)
    taken_before = _TAKEN[0]
    await asyncio.sleep(min(args.period, 2.0))  # the heartbeat load is under way
    seconds, statuses = await load(port, requests, args.concurrency)
    taken = _TAKEN[0] - taken_before
    stop.set()
    await beats
    bad = [s for s in statuses if s != 201]
    if bad:
        raise RuntimeError(f"{len(bad)} alerts refused under heartbeat load (e.g. {bad[0]})")
    return float(len(requests) / seconds), taken


def alert_rate(port: int, tokens: dict[str, str], args: argparse.Namespace, run: str) -> float:
    """Alerts/s of one alert-only phase."""
    seconds, statuses = asyncio.run(
        load(port, alert_requests(port, tokens, args.alerts, run, args.cameras), args.concurrency)
    )
    if any(s != 201 for s in statuses):
        raise RuntimeError("alerts refused in the alert-only phase")
    return float(len(statuses) / seconds)


def measure(url: str, tokens: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    """The three phases against one server process."""
    proc, port = start_server("gridwatch", url)
    try:
        asyncio.run(load(port, alert_requests(port, tokens, 200, "warm", args.cameras), args.concurrency))
        alone = alert_rate(port, tokens, args, "a")
        print(f"alerts alone: {alone:.0f}/s", file=sys.stderr)
        requests = alert_requests(port, tokens, args.alerts, "b", args.cameras)
        loaded, beats_during = asyncio.run(alerts_with_heartbeats(port, tokens, args, requests))
        print(
            f"alerts with heartbeats: {loaded:.0f}/s ({beats_during} heartbeats meanwhile)", file=sys.stderr
        )
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        flow = heartbeats(port, tokens, args.cameras, args.period, args.hb_seconds, args.hb_connections)
        taken, refused, lag = asyncio.run(flow)
        wall, cpu = time.monotonic() - t0, cpu_seconds(proc.pid) - cpu0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if refused:
        raise RuntimeError(f"{refused} heartbeats refused")
    return {"alone": alone, "loaded": loaded, "beats_during": beats_during, "taken": taken, "lag": lag,
            "wall": wall, "cpu": cpu}  # fmt: skip


def main() -> None:
    """Run the three phases and print the summary line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boxes", type=int, default=300, help="Edge boxes")
    parser.add_argument("--cameras", type=int, default=20, help="Cameras per box")
    parser.add_argument("--period", type=float, default=10.0, help="Seconds between a box's heartbeats")
    parser.add_argument("--alerts", type=int, default=3000, help="Alerts per alert phase")
    parser.add_argument("--concurrency", type=int, default=32, help="Connections posting alerts")
    parser.add_argument("--hb-seconds", type=float, default=30.0, help="Length of the heartbeat-only phase")
    parser.add_argument("--hb-connections", type=int, default=16, help="Connections posting heartbeats")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gridwatch-fleet-") as tmp:
        url = f"sqlite:///{tmp}/fleet.db"
        m = measure(url, prepare(url, args.boxes, args.cameras), args)
    target, rate = args.boxes / args.period, m["taken"] / m["wall"]
    print(f"heartbeats: {rate:.1f}/s of {target:.1f}/s, worst lag {m['lag']:.2f} s, "
          f"server CPU {m['cpu'] / m['wall']:.0%} of a core", file=sys.stderr)  # fmt: skip
    summary = {
        "heartbeats_per_s": round(rate, 1),
        "heartbeats_target_per_s": round(target, 1),
        "heartbeat_worst_lag_s": round(m["lag"], 2),
        "alerts_per_s_alone": round(m["alone"], 1),
        "alerts_per_s_with_heartbeats": round(m["loaded"], 1),
        "ratio": round(m["loaded"] / m["alone"], 2),
        "heartbeats_during_alerts": int(m["beats_during"]),
        "heartbeat_cpu_share": round(m["cpu"] / m["wall"], 3),
        "cpu_ms_per_heartbeat": round(1000 * m["cpu"] / max(m["taken"], 1), 2),
        "boxes": args.boxes,
        "cameras_per_box": args.cameras,
        "period_s": args.period,
        "alerts": args.alerts,
        "hb_seconds": args.hb_seconds,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
