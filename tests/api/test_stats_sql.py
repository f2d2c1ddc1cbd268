"""`/v1/stats` computed in SQL equals the same numbers computed row by row in Python."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.api.conftest import World
from tests.api.stats_builders import event_rows, expected_stats


@pytest.fixture
def seeded(world: World, now: datetime) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """400 random events and the numbers computed from them in Python."""
    with world.ctx.sessions() as session:
        rows = event_rows(session, now, 400)
    return rows, expected_stats(rows, now, world.ctx.centre.zone)


def _stats(world: World, user: str = "admin") -> Any:
    reply = world.client.get("/v1/stats", headers=world.as_user(user))
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_counts_shares_and_overdue_match_python(
    world: World, seeded: tuple[list[Any], dict[str, Any]]
) -> None:
    _rows, want = seeded
    got = _stats(world)
    for key in ("total", "open", "by_status", "by_type", "open_by_type", "by_grid"):
        assert got[key] == want[key], key
    assert got["sla"] == {f"{name}_met": share for name, share in want["sla"].items()}
    assert got["overdue"] == want["overdue"]
    assert 0 < want["overdue"]["total"] < want["open"]


def test_medians_match_python(world: World, seeded: tuple[list[Any], dict[str, Any]]) -> None:
    _rows, want = seeded
    got = _stats(world)
    assert got["median_ack_seconds"] == pytest.approx(want["median_ack_seconds"], abs=0.01)
    assert got["median_resolve_seconds"] == pytest.approx(want["median_resolve_seconds"], abs=0.01)


def test_trends_satisfaction_workers_townships_match_python(
    world: World, seeded: tuple[list[Any], dict[str, Any]]
) -> None:
    _rows, want = seeded
    got = _stats(world)
    assert [(d["day"], d["created"], d["resolved"]) for d in got["trend_30d"]] == want["trend_30d"]
    assert got["trend_7d"] == got["trend_30d"][-7:]
    assert (got["satisfaction"]["rated"], got["satisfaction"]["mean"]) == want["satisfaction"]
    assert {w["worker"]: (w["total"], w["open"], w["overdue"]) for w in got["workers"]} == want["workers"]
    towns = {t["code"]: (t["total"], t["open"], t["overdue"]) for t in got["townships"]}
    for code, numbers in want["townships"].items():
        assert towns[code] == numbers, code


def test_scoped_user_sees_only_their_township(world: World, seeded: tuple[list[Any], dict[str, Any]]) -> None:
    rows, want = seeded
    got = _stats(world, "op_t1")
    assert got["total"] == want["townships"]["DX-T01"][0]
    assert got["open"] == want["townships"]["DX-T01"][1]
    assert [t["code"] for t in got["townships"]] == ["DX-T01"]
    assert set(got["by_grid"]) == {
        r["cell_code"] for r in rows if r["grid_path"].startswith("/DXC/DX/DX-T01/")
    }
