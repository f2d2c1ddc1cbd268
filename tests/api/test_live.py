"""Live changes: every way an event changes is published after commit, and fan-out respects scopes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from api.jobs.units import run_escalation
from api.live import EventChange, Fanout, LocalFeed, commit_and_publish, notice
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World


class Recorder:
    """A feed that keeps what is published."""

    def __init__(self) -> None:
        self.fanout = Fanout()
        self.published: list[EventChange] = []

    def publish(self, changes: Sequence[EventChange]) -> None:
        self.published.extend(changes)

    def kinds(self, code: str) -> list[str]:
        return [c.kind for c in self.published if c.code == code]


@pytest.fixture
def recorder(world: World) -> Recorder:
    feed = Recorder()
    world.ctx.live = feed
    return feed


def test_alerts_actions_comments_and_escalations_are_published(world: World, recorder: Recorder) -> None:
    code = world.post_alert(make_alert("l-1", at=cell_center(2, 1, 1))).json()["event_code"]
    world.post_alert(make_alert("l-2", at=cell_center(2, 1, 1)))
    world.client.post(
        f"/v1/events/{code}/actions", json={"action": "acknowledge"}, headers=world.as_user("op_t2")
    )
    world.client.post(
        f"/v1/events/{code}/comments", json={"text": "on my way"}, headers=world.as_user("op_t2")
    )
    run_escalation(world.ctx, now=datetime.now(UTC) + timedelta(days=30))
    assert recorder.kinds(code) == ["opened", "joined", "acknowledge", "comment", "escalated"]
    assert {c.grid_path for c in recorder.published} == {"/DXC/DX/DX-T02/DX-T02-V01/DX-T02-V01-C001/"}


def test_refused_changes_publish_nothing(world: World, recorder: Recorder) -> None:
    code = world.post_alert(make_alert("r-1", at=cell_center(1, 1, 1))).json()["event_code"]
    recorder.published.clear()
    reply = world.client.post(
        f"/v1/events/{code}/actions", json={"action": "resolve"}, headers=world.as_user("op_t1")
    )
    assert reply.status_code == 409
    world.post_alert(make_alert("r-1", at=cell_center(1, 1, 1)))  # a replay stores nothing
    assert recorder.published == []


def test_nothing_is_published_when_the_commit_fails(world: World) -> None:
    feed = Recorder()
    with world.ctx.sessions() as session:
        notice(session, code="X", grid_path="/", kind="opened")
        session.connection().exec_driver_sql("SELECT 1")

        def broken() -> None:
            raise RuntimeError("disk full")

        session.commit = broken  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            commit_and_publish(session, feed)
    assert feed.published == []


def test_fanout_delivers_each_change_to_the_subscriptions_whose_scope_holds_it() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        feed = LocalFeed()
        with feed.fanout.subscribe("/DXC/DX/DX-T01/") as t1, feed.fanout.subscribe("/") as everything:
            feed.publish(
                [
                    EventChange("A", "/DXC/DX/DX-T01/V/C/", "opened"),
                    EventChange("B", "/DXC/DX/DX-T02/", "opened"),
                ]
            )
            await asyncio.sleep(0)
            feed.fanout.close_all()
            got_t1 = [c.code async for c in t1.changes(1.0) if c is not None]
            got_all = [c.code async for c in everything.changes(1.0) if c is not None]
        assert len(feed.fanout) == 0
        return got_t1, got_all

    assert asyncio.run(scenario()) == (["A"], ["A", "B"])


def test_a_slow_listener_gets_a_resync_instead_of_an_unbounded_queue() -> None:
    async def scenario() -> list[str | None]:
        feed = LocalFeed()
        with feed.fanout.subscribe("/") as sub:
            feed.publish([EventChange(str(i), "/", "alert") for i in range(1000)])
            await asyncio.sleep(0.05)
            assert sub.queue.qsize() < 300
            feed.fanout.close_all()
            return [c.code if c else None async for c in sub.changes(1.0)][:1]

    assert asyncio.run(scenario()) == [None]
