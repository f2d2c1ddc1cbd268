"""Random but reproducible event rows for the statistics tests, and the numbers computed from them in
plain Python (the independent reference the SQL statistics are checked against)."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api.orm import Event, Grid

STATUSES = ["new", "acknowledged", "dispatched", "in_progress", "resolved", "closed", "dismissed"]
OPEN = {"new", "acknowledged", "dispatched", "in_progress"}
TYPES = ["INTRUSION", "CROWD", "FIRE", "FLOOD"]
WORKERS = ["王伟", "李芳", "张娜"]
CLOCKS = (
    ("ack", "ack_due", "acknowledged_at"),
    ("feedback", "feedback_due", "in_progress_at"),
    ("resolution", "resolution_due", "resolved_at"),
)


def _reached(rng: random.Random, start: datetime, hours: float) -> datetime:
    return start + timedelta(seconds=rng.randint(60, int(hours * 3600)))


def event_rows(session: Session, now: datetime, n: int, seed: int = 3) -> list[dict[str, Any]]:
    """`n` events over the last 40 days in the demo cells (a few outside every cell), inserted."""
    rng = random.Random(seed)
    cells = session.execute(select(Grid.code, Grid.path).where(Grid.level == 4).order_by(Grid.code)).all()
    county = session.scalar(select(Grid.path).where(Grid.level == 1))
    rows = []
    for i in range(n):
        created = now - timedelta(seconds=rng.randint(60, 40 * 86400))
        status = rng.choice(STATUSES)
        cell = rng.choice(cells) if i % 10 else None
        acked = None if status == "new" or (status == "dismissed" and i % 2) else _reached(rng, created, 4)
        started = _reached(rng, acked, 60) if acked and status not in {"acknowledged", "dispatched"} else None
        started = None if status == "dismissed" else started
        resolved = _reached(rng, started, 200) if started and status in {"resolved", "closed"} else None
        rows.append({
            "code": f"DX-S-{i:06d}", "type_code": rng.choice(TYPES), "category": "test", "severity": "high",
            "status": status, "correlation_key": f"k{i}", "cell_code": cell[0] if cell else None,
            "grid_path": cell[1] if cell else county, "located": cell is not None, "lon": 118.7, "lat": 32.0,
            "first_seen": created, "last_seen": created, "alert_count": 1, "created_at": created,
            "ack_due": created + timedelta(hours=2), "feedback_due": created + timedelta(hours=48),
            "resolution_due": created + timedelta(days=7), "acknowledged_at": acked,
            "in_progress_at": started, "resolved_at": resolved,
            "closed_at": resolved if status == "closed" else None,
            "rating": rng.choice([None, 1, 3, 4, 5, 5]) if status == "closed" else None,
            "worker": rng.choice(WORKERS) if status not in {"new", "acknowledged", "dismissed"} else None,
            "escalation_level": 0,
        })  # fmt: skip
    session.execute(insert(Event), rows)
    session.commit()
    return rows


def _share(pairs: list[tuple[datetime, datetime | None]], now: datetime) -> float | None:
    known = [(due, at) for due, at in pairs if at is not None or due <= now]
    return (
        round(sum(1 for due, at in known if at is not None and at <= due) / len(known), 4) if known else None
    )


def _late(row: dict[str, Any], due: str, reached: str, now: datetime) -> bool:
    return bool(row["status"] in OPEN and row[due] <= now and row[reached] is None)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def expected_stats(rows: list[dict[str, Any]], now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """What `/v1/stats` must say about `rows`, computed row by row in Python."""
    clocks = CLOCKS
    late = {name: [r for r in rows if _late(r, d, at, now)] for name, d, at in clocks}
    overdue = {r["code"] for name in late for r in late[name]}
    today = now.astimezone(zone).date()
    days = [today - timedelta(days=29 - i) for i in range(30)]
    rated = [r["rating"] for r in rows if r["rating"] is not None]
    return {
        "total": len(rows),
        "open": sum(r["status"] in OPEN for r in rows),
        "by_status": dict(Counter(r["status"] for r in rows)),
        "by_type": dict(Counter(r["type_code"] for r in rows)),
        "open_by_type": dict(Counter(r["type_code"] for r in rows if r["status"] in OPEN)),
        "by_grid": dict(Counter(r["cell_code"] or "-" for r in rows)),
        "sla": {name: _share([(r[d], r[at]) for r in rows], now) for name, d, at in clocks},
        "overdue": {"total": len(overdue)} | {name: len(late[name]) for name in late},
        "median_ack_seconds": _median(
            [(r["acknowledged_at"] - r["created_at"]).total_seconds() for r in rows if r["acknowledged_at"]]
        ),
        "median_resolve_seconds": _median(
            [(r["resolved_at"] - r["created_at"]).total_seconds() for r in rows if r["resolved_at"]]
        ),
        "trend_30d": [
            (
                d.isoformat(),
                sum(r["created_at"].astimezone(zone).date() == d for r in rows),
                sum(
                    r["resolved_at"] is not None and r["resolved_at"].astimezone(zone).date() == d
                    for r in rows
                ),
            )
            for d in days
        ],
        "satisfaction": (len(rated), round(sum(rated) / len(rated), 3) if rated else None),
        "workers": {
            w: (
                sum(r["worker"] == w for r in rows),
                sum(r["worker"] == w and r["status"] in OPEN for r in rows),
                sum(r["worker"] == w and r["code"] in overdue for r in rows),
            )
            for w in {r["worker"] for r in rows if r["worker"]}
        },
        "townships": {
            t: (
                sum(r["grid_path"].startswith(p) for r in rows),
                sum(r["grid_path"].startswith(p) and r["status"] in OPEN for r in rows),
                sum(r["grid_path"].startswith(p) and r["code"] in overdue for r in rows),
            )
            for t, p in (("DX-T01", "/DXC/DX/DX-T01/"), ("DX-T02", "/DXC/DX/DX-T02/"))
        },
    }
