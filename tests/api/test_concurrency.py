"""Two writers (as in two API processes) correlating the same cell at once still make one event."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from api.errors import ApiError, ConflictError
from api.jobs.units import store_alerts
from api.logic.lifecycle import Action
from api.orm import Event
from api.schemas.events import ActionIn
from api.services.actions import apply_action
from api.services.ingest import Accepted, IngestItem, ingest_batch
from api.services.principals import principal_for_token
from gridwatch.contracts.alert import Alert
from tests.api.builders import make_alert
from tests.api.conftest import World


def _item(world: World, alert_id: str) -> IngestItem:
    alert = Alert.model_validate(make_alert(alert_id))
    return IngestItem(alert, world.device_token, alert_id)


def test_a_second_writer_waits_for_the_first_and_joins_its_event(world: World) -> None:
    second: list[Accepted | ApiError] = []
    with world.ctx.sessions() as first_session:
        first = ingest_batch(
            session=first_session,
            centre=world.ctx.centre,
            grids=world.ctx.grids,
            evidence_max_bytes=10_000,
            items=[_item(world, "p-1")],
            now=datetime.now(UTC),
        )
        racer = threading.Thread(target=lambda: second.extend(store_alerts(world.ctx, [_item(world, "p-2")])))
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second writer must wait for the first one's correlation lock"
        first_session.commit()
    racer.join(timeout=30)
    assert isinstance(first[0], Accepted)
    assert isinstance(second[0], Accepted)
    assert second[0].body.outcome == "joined"
    assert second[0].body.event_code == first[0].body.event_code
    with world.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1


def test_two_concurrent_acknowledgements_one_wins_one_gets_409(world: World) -> None:
    code = world.post_alert(make_alert("a-1")).json()["event_code"]
    with world.ctx.sessions() as session:
        principal = principal_for_token(session=session, token=world.tokens["operator"])
    body = ActionIn(action=Action.ACKNOWLEDGE)
    outcome: list[object] = []

    def second() -> None:
        with world.ctx.sessions() as session:
            try:
                apply_action(
                    session=session, principal=principal, code=code, body=body, now=datetime.now(UTC)
                )
                session.commit()
                outcome.append("applied")
            except ConflictError as exc:
                outcome.append(exc.allowed)

    with world.ctx.sessions() as first:
        apply_action(session=first, principal=principal, code=code, body=body, now=datetime.now(UTC))
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second writer must wait for the first"
        first.commit()
    racer.join(timeout=30)
    assert outcome == [["dispatch", "dismiss"]]
