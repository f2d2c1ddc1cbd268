"""Grouped parts of the dashboard numbers: per township (via the grid paths) and per grid worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from api.logic.lifecycle import OPEN_STATUSES, Status
from api.orm import Event, Grid
from api.services.events import overdue_clause
from api.services.stats_schema import TownshipLoad, WorkerLoad

TOWNSHIP_LEVEL = 2
DONE = (Status.RESOLVED.value, Status.CLOSED.value)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _loads(session: Session, scope: Select[Any], keys: list[Any], now: datetime) -> list[tuple[Any, ...]]:
    """(*keys, total, open, overdue, done) grouped by `keys`."""
    query = scope.with_only_columns(
        *keys,
        func.count(),
        _count(Event.status.in_(OPEN_STATUSES)),
        _count(overdue_clause(now)),
        _count(Event.status.in_(DONE)),
    ).group_by(*keys)
    n = len(keys)
    return [(*row[:n], *(int(v or 0) for v in row[n:])) for row in session.execute(query)]


def _township_of(path: str, by_path: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(code, name) of the township whose path `path` starts with; ("-", "-") for none."""
    parts = [p for p in path.split("/") if p]
    for end in range(1, len(parts) + 1):
        found = by_path.get("/" + "/".join(parts[:end]) + "/")
        if found is not None:
            return found
    return ("-", "-")


def place_loads(
    *, session: Session, scope: Select[Any], now: datetime
) -> tuple[list[TownshipLoad], dict[str, int]]:
    """Per township, and events per cell ('-' outside every cell): one GROUP BY grid path and cell
    in SQL (a row per cell), then summed per township path."""
    townships = session.execute(
        select(Grid.path, Grid.code, Grid.name).where(Grid.level == TOWNSHIP_LEVEL)
    ).all()
    by_path = {path: (code, name) for path, code, name in townships}
    sums: dict[tuple[str, str], list[int]] = {}
    by_cell: dict[str, int] = {}
    for path, cell, total, open_, overdue, _done in _loads(
        session, scope, [Event.grid_path, Event.cell_code], now
    ):
        by_cell[cell or "-"] = by_cell.get(cell or "-", 0) + total
        key = _township_of(str(path), by_path)
        acc = sums.setdefault(key, [0, 0, 0])
        for i, n in enumerate((total, open_, overdue)):
            acc[i] += n
    loads = [TownshipLoad(code=c, name=n, total=t, open=o, overdue=d) for (c, n), (t, o, d) in sums.items()]
    return sorted(loads, key=lambda x: (-x.open, -x.overdue, x.code)), by_cell


def worker_loads(*, session: Session, scope: Select[Any], now: datetime) -> list[WorkerLoad]:
    """Per assigned grid worker (events nobody was assigned are left out), most open first."""
    rows = _loads(session, scope.where(Event.worker.is_not(None)), [Event.worker], now)
    loads = [WorkerLoad(worker=str(w), total=t, open=o, overdue=d, resolved=r) for w, t, o, d, r in rows]
    return sorted(loads, key=lambda x: (-x.open, -x.overdue, x.worker))
