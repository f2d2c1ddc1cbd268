"""The escalation sweep locks a batch at a time, touches only events with a newly missed deadline,
passes over an event someone else is changing (PostgreSQL) instead of waiting for it, and a batch
that fails is done again one event at a time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from api.db import begin_write
from api.jobs.units import run_escalation
from api.orm import Event, Supervision
from api.services import escalation
from api.services.escalation import escalate_batch
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World


def _open_events(world: World, n: int) -> list[str]:
    cells = [(t, v, c) for t in (1, 2) for v in (1, 2, 3) for c in (1, 2, 3, 4)][:n]
    codes = [
        world.post_alert(make_alert(f"e-{i}", at=cell_center(*cell))).json()["event_code"]
        for i, cell in enumerate(cells)
    ]
    assert len(set(codes)) == n
    return codes


def _supervisions(world: World) -> int:
    with world.ctx.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Supervision))
    assert isinstance(count, int)
    return count


def test_the_sweep_goes_in_batches_and_leaves_escalated_events_alone(world: World) -> None:
    _open_events(world, 5)
    world.ctx.settings.escalation_batch = 2
    later = datetime.now(UTC) + timedelta(hours=3)
    with world.ctx.sessions() as session:
        first = escalate_batch(session=session, now=later, after_id=0, limit=2)
        assert first.events == 2
        session.rollback()
    assert run_escalation(world.ctx, later) == 5
    with world.ctx.sessions() as session:
        again = escalate_batch(session=session, now=later + timedelta(minutes=5), after_id=0, limit=100)
    assert (again.events, again.written) == (0, []), (
        "events escalated for all they missed are not locked again"
    )
    assert run_escalation(world.ctx, later + timedelta(hours=47)) == 5, "the next missed deadline, once each"
    assert _supervisions(world) == 10


def test_an_event_being_changed_is_left_for_the_next_sweep(world: World) -> None:
    codes = _open_events(world, 3)
    later = datetime.now(UTC) + timedelta(hours=3)
    postgres = world.ctx.engine.dialect.name == "postgresql"
    swept: list[int] = []
    with world.ctx.sessions() as busy:
        if postgres:  # an operator's action holds one event's row
            busy.execute(select(Event).where(Event.code == codes[1]).with_for_update()).one()
        else:  # SQLite: any writer holds the one write lock
            begin_write(busy)
            busy.execute(text("UPDATE events SET worker = worker WHERE code = :c"), {"c": codes[1]})
        sweep = threading.Thread(target=lambda: swept.append(run_escalation(world.ctx, later)))
        sweep.start()
        sweep.join(timeout=1 if not postgres else 30)
        if postgres:
            assert swept == [2], "PostgreSQL: the locked event is passed over, not waited for"
        else:
            assert sweep.is_alive(), "SQLite: the sweep waits for the one writer"
        busy.commit()
    sweep.join(timeout=30)
    assert run_escalation(world.ctx, later) == (1 if postgres else 0)
    assert _supervisions(world) == 3


def test_a_batch_that_fails_is_done_again_one_event_at_a_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = _open_events(world, 3)
    real = escalation._supervise

    def failing(session: Any, event: Event, step: Any, now: datetime) -> Any:
        if event.code == codes[1]:
            raise RuntimeError("a corrupt row")
        return real(session, event, step, now)

    monkeypatch.setattr(escalation, "_supervise", failing)
    assert run_escalation(world.ctx, datetime.now(UTC) + timedelta(hours=3)) == 2
    with world.ctx.sessions() as session:
        levels = dict(session.execute(select(Event.code, Event.escalation_level)).all())
        steps = session.execute(select(Supervision.from_level, Supervision.to_level)).all()
    assert levels == {codes[0]: 1, codes[1]: 0, codes[2]: 1}, "nothing of the failed first pass was kept"
    assert sorted(tuple(s) for s in steps) == [(0, 1), (0, 1)]
