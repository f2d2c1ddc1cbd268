"""Migration 0007 on a database with deliveries and subscriptions from before: they stay, unleased
and with closed breakers; the schema matches the models; it downgrades and upgrades again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from api.orm import Base
from tests.api.conftest import rows_at
from tests.api.test_migration_0003 import EVENT

USER = (
    "INSERT INTO users (id, username, role, scope_path, token_hash, created_at)"
    " VALUES (1, 'case', 'case_system', '/', 'h', '2026-01-01')"
)
SUBSCRIPTION = (
    "INSERT INTO webhook_subscriptions (id, owner_id, url, secret, scope_path, event_types, topics, active,"
    " created_at) VALUES (1, 1, 'http://127.0.0.1:9/hook', 's', '/', '[]', '[]', true, '2026-01-01')"
)
DELIVERY = (
    "INSERT INTO webhook_deliveries (delivery_id, subscription_id, event_id, topic, payload, state, attempts,"
    " next_attempt_at, created_at, last_error) VALUES ('d1', 1, 1, 'event.opened', '{}', 'pending', 2,"
    " '2026-01-01', '2026-01-01', 'HTTP 503')"
)


def test_0007_keeps_deliveries_unleased_and_breakers_closed(blank_engine: Engine) -> None:
    config = rows_at(blank_engine, "0006", EVENT, USER, SUBSCRIPTION, DELIVERY)
    command.upgrade(config, "head")
    with blank_engine.connect() as connection:
        delivery = connection.execute(
            text("SELECT state, attempts, lease_until, lease_owner, lease_token FROM webhook_deliveries")
        ).one()
        breaker = connection.execute(
            text("SELECT failure_streak, paused_until FROM webhook_subscriptions")
        ).one()
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert tuple(delivery) == ("pending", 2, None, None, None)
    assert tuple(breaker) == (0, None)
    command.downgrade(config, "0006")
    with blank_engine.connect() as connection:
        assert connection.execute(text("SELECT attempts FROM webhook_deliveries")).scalar_one() == 2
    command.upgrade(config, "head")
