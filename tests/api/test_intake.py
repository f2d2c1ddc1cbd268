"""`POST /v1/alerts` as the edge sees it: errors that name the field, the documented body, and the
write lock: on SQLite a batch is stored on the event loop unless another writer holds the lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from api.app import build_context, create_app
from api.db import WriteLockBusyError, try_begin_write
from api.jobs.units import store_alerts
from api.migrate import upgrade
from api.orm import AlertRow
from api.services.ingest import IngestItem
from api.settings import ApiSettings
from gridwatch.contracts.alert import Alert
from tests.api.builders import make_alert
from tests.api.conftest import World, seed


def _stored(world: World) -> int:
    with world.ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AlertRow)) or 0)


@pytest.fixture
def sqlite_world(settings: ApiSettings, tmp_path: Path) -> Iterator[World]:
    """The seeded app on a SQLite file of its own, whichever backend the session runs."""
    url = f"sqlite:///{tmp_path / 'own.db'}"
    ctx = build_context(settings.model_copy(update={"database_url": url}))
    upgrade(ctx.engine)
    device_token, tokens = seed(ctx)
    app = create_app(ctx=ctx)
    with TestClient(app) as client:
        yield World(app, client, ctx, device_token, tokens)


def _sqlite_path(world: World) -> str:
    return world.ctx.settings.database_url.removeprefix("sqlite:///")


def test_a_body_that_is_not_json_is_422_and_stores_nothing(world: World) -> None:
    headers = world.device | {"Content-Type": "application/json"}
    reply = world.client.post("/v1/alerts", content=b'{"alert_id": "a-1",', headers=headers)
    assert reply.status_code == 422
    (error,) = reply.json()["detail"]
    assert error["type"] == "json_invalid"
    assert error["loc"][0] == "body"
    assert _stored(world) == 0


def test_a_missing_and_a_wrong_field_are_both_named(world: World) -> None:
    body = make_alert("a-1", severity="apocalyptic")
    del body["location"]
    reply = world.post_alert(body)
    assert reply.status_code == 422
    locs = {tuple(e["loc"]) for e in reply.json()["detail"]}
    assert ("body", "location") in locs
    assert ("body", "severity") in locs
    assert _stored(world) == 0


def test_no_token_is_401_whatever_the_body(world: World) -> None:
    reply = world.client.post("/v1/alerts", content=b"not json")
    assert reply.status_code == 401
    assert "Bearer" in reply.json()["detail"]


def test_openapi_shows_the_alert_body_and_the_answer(world: World) -> None:
    schema = world.client.get("/openapi.json").json()
    post = schema["paths"]["/v1/alerts"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Alert"}
    components = schema["components"]["schemas"]
    assert {"alert_id", "location", "observed_at"} <= set(components["Alert"]["properties"])
    assert "Location" in components  # the models Alert uses are there too
    answer = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/AlertAccepted"}


def test_sqlite_batches_are_stored_on_the_loop_and_postgresql_batches_in_a_thread(world: World) -> None:
    for i in range(3):
        assert world.post_alert(make_alert(f"a-{i}")).status_code == 201
    committer = world.app.state.committer
    if world.ctx.engine.dialect.name == "sqlite":
        assert (committer.quick_batches, committer.thread_batches) == (3, 0)
    else:
        assert (committer.quick_batches, committer.thread_batches) == (0, 3)


def test_an_alert_waits_in_a_thread_while_another_writer_holds_the_lock(sqlite_world: World) -> None:
    world = sqlite_world
    holder = sqlite3.connect(_sqlite_path(world), isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
        release.start()
        reply = world.post_alert(make_alert("a-1"))
        release.join()
    finally:
        holder.close()
    assert reply.status_code == 201
    committer = world.app.state.committer
    assert (committer.quick_batches, committer.thread_batches) == (0, 1)
    # The lock is free again: the loop's connection, which found it busy, stores the next batch.
    assert world.post_alert(make_alert("a-2")).status_code == 201
    assert (committer.quick_batches, committer.thread_batches) == (1, 1)
    assert _stored(world) == 2


def test_not_waiting_for_a_busy_lock_raises_and_stores_nothing(sqlite_world: World) -> None:
    world = sqlite_world
    holder = sqlite3.connect(_sqlite_path(world), isolation_level=None)
    alert = Alert.model_validate(make_alert("a-1"))
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(WriteLockBusyError):
            store_alerts(world.ctx, [IngestItem(alert, world.device_token, "digest")], wait=False)
        with world.ctx.sessions() as session:
            with pytest.raises(WriteLockBusyError):
                try_begin_write(session)
            timeout = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert timeout == 10_000  # restored: other work on this connection still waits
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _stored(world) == 0
    assert store_alerts(world.ctx, [IngestItem(alert, world.device_token, "digest")], wait=False)
    assert _stored(world) == 1


def test_the_stored_payload_reads_back_as_the_alert(world: World) -> None:
    body = make_alert("a-1", rule="东门 intrusion", details={"zone": "东门", "count": 3})
    assert world.post_alert(body).status_code == 201
    with world.ctx.sessions() as session:
        payload = session.scalar(select(AlertRow.payload))
        raw = session.execute(text("SELECT payload FROM alerts")).scalar()
    assert payload is not None
    assert Alert.model_validate(payload) == Alert.model_validate(body)
    assert "东门" in str(raw)


def test_the_loop_stores_on_its_own_connection_not_the_pool(
    sqlite_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Were the pool exhausted by sync routes, a checkout would stall the loop; the quick path must
    # not take one at all.
    def no_pool() -> Session:
        raise AssertionError("the quick path took a pooled session")

    monkeypatch.setattr(sqlite_world.ctx, "sessions", no_pool)
    assert sqlite_world.post_alert(make_alert("a-1")).status_code == 201
    monkeypatch.undo()
    assert sqlite_world.app.state.committer.quick_batches == 1
    assert _stored(sqlite_world) == 1
