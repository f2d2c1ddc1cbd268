"""Migration 0003 on a database holding alerts and evidence from before: evidence keeps its alert,
keyed by device and alert id now; the schema matches the models; it downgrades and upgrades again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from api.orm import Base
from tests.api.conftest import rows_at

EVENT = (
    "INSERT INTO events (id, code, type_code, category, severity, status, correlation_key, grid_path,"
    " located,"
    " lon, lat, first_seen, last_seen, alert_count, created_at, ack_due, feedback_due, resolution_due,"
    " escalation_level) VALUES (1, 'X', 'T', 'c', 'high', 'new', 'k', '/', true, 1, 1, '2026-01-01',"
    " '2026-01-01', 1, '2026-01-01', '2026-01-01', '2026-01-01', '2026-01-01', 0)"
)
ALERT = (
    "INSERT INTO alerts (alert_id, payload_sha256, device_id, source_id, kind, severity, observed_at,"
    " received_at, lon, lat, event_id, outcome, payload) VALUES ('a1', 's', 'edge-01', 'c', 'k', 'high',"
    " '2026-01-01', '2026-01-01', 1, 1, 1, 'opened', '{}')"
)


def test_0003_keys_alerts_and_evidence_by_device(blank_engine: Engine) -> None:
    config = rows_at(blank_engine, "0002", EVENT, ALERT)
    with blank_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO evidence (alert_id, sha256, size, jpeg) VALUES ('a1', 's', 1, :j)"),
            {"j": b"x"},
        )
    command.upgrade(config, "head")
    with blank_engine.connect() as connection:
        assert connection.execute(text("SELECT device_id, alert_id FROM evidence")).all() == [
            ("edge-01", "a1")
        ]
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        flagged = connection.execute(text("SELECT clock_flagged FROM events")).scalar_one()
    assert not flagged
    with blank_engine.begin() as connection:  # another device may now use the same alert id
        connection.execute(text(ALERT.replace("'edge-01'", "'edge-02'")))
        connection.execute(text("DELETE FROM alerts WHERE device_id = 'edge-02'"))
    command.downgrade(config, "0002")
    command.upgrade(config, "head")
