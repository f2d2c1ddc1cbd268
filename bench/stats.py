"""Benchmark of `/v1/stats` at 100,000 events: the old implementation (loads every event's clocks
into Python) against the SQL one, on the same database in the same run; run `python bench/stats.py`.

Both are timed as service calls (median of `--rounds`), on SQLite and, unless `--no-postgres`, on the
local PostgreSQL (a throw-away database on 127.0.0.1:5432). The last line printed is JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import secrets
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import make_engine, make_sessionmaker
from api.logic.roles import Role
from api.migrate import upgrade
from api.orm import Event
from api.services.grids import import_grids
from api.services.principals import Principal
from api.services.stats import compute_stats
from tests.api.builders import DEMO_GRIDS
from tests.api.stats_builders import event_rows

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
ZONE = ZoneInfo("Asia/Shanghai")


def legacy_stats(session: Session, scope_path: str, now: datetime) -> dict[str, Any]:
    """The implementation before this change (main at 4924eef), kept here as the baseline."""
    scope = Event.grid_path.startswith(scope_path, autoescape=True)
    counts: dict[str, Counter[str]] = {}
    for column in ("status", "type_code", "cell_code"):
        field = getattr(Event, column)
        rows = session.execute(select(field, func.count()).where(scope).group_by(field)).all()
        counts[column] = Counter({str(value or "-"): int(n) for value, n in rows})
    clocks = session.execute(
        select(
            Event.created_at, Event.acknowledged_at, Event.ack_due, Event.resolved_at, Event.resolution_due
        ).where(scope)
    ).all()
    ack = [(r.acknowledged_at - r.created_at).total_seconds() for r in clocks if r.acknowledged_at]

    def met(pairs: list[tuple[datetime, datetime | None]]) -> float | None:
        known = [(due, at) for due, at in pairs if at is not None or due <= now]
        return round(sum(1 for d, a in known if a is not None and a <= d) / len(known), 4) if known else None

    return {
        "total": sum(counts["status"].values()),
        "ack_met": met([(r.ack_due, r.acknowledged_at) for r in clocks]),
        "resolution_met": met([(r.resolution_due, r.resolved_at) for r in clocks]),
        "median_ack_seconds": statistics.median(ack) if ack else None,
    }


def _median_ms(call: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


@contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="gw-bench-stats-") as folder:
            yield f"sqlite:///{folder}/stats.db"
        return
    name = f"gridwatch_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(backend: str, events: int, rounds: int) -> dict[str, Any]:
    """Seed `events` events, then time both implementations for an unscoped principal."""
    with _database(backend) as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        now = datetime.now(UTC)
        with sessions() as session:
            import_grids(session=session, data=DEMO_GRIDS)
            session.commit()
            event_rows(session, now, events)
        principal = Principal(0, "bench", Role.ADMIN, "/")
        with sessions() as session:
            old_ms, old = _median_ms(lambda: legacy_stats(session, "/", now), rounds)
            new_ms, new = _median_ms(
                lambda: compute_stats(session=session, principal=principal, now=now, zone=ZONE), rounds
            )
        engine.dispose()
    assert old["total"] == new.total == events
    assert (old["ack_met"], old["resolution_met"]) == (new.sla.ack_met, new.sla.resolution_met)
    assert abs(old["median_ack_seconds"] - new.median_ack_seconds) < 0.01
    return {f"{backend}_old_ms": round(old_ms, 1), f"{backend}_new_ms": round(new_ms, 1),
            f"{backend}_ratio_old_vs_new": round(old_ms / new_ms, 2)}  # fmt: skip


def main() -> None:
    """Run the benchmark and print the final JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="Events in scope")
    parser.add_argument("--rounds", type=int, default=5, help="Timed calls per implementation; medians")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    result: dict[str, Any] = {"events": args.events}
    for backend in ("sqlite",) if args.no_postgres else ("sqlite", "postgresql"):
        result |= run(backend, args.events, args.rounds)
        print(backend, "done", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
