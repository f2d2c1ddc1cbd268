"""centre hardening

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:30:00.000000

Alert ids become unique per device (the key is device_id + alert_id, for alerts and their evidence);
alerts and events carry a clock flag for observed times outside the centre's window; an audit log
of access changes (webhooks, users, device and user tokens).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVIDENCE_DEVICE = sa.text(
    "UPDATE evidence SET device_id = "
    "(SELECT alerts.device_id FROM alerts WHERE alerts.alert_id = evidence.alert_id)"
)


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("fk_evidence_alert_id_alerts", type_="foreignkey")
        batch_op.drop_constraint("uq_evidence_alert_id", type_="unique")
    op.execute(EVIDENCE_DEVICE)
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alerts_alert_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_alerts_device_id"), ["device_id", "alert_id"])
        batch_op.add_column(sa.Column("clock_flag", sa.String(length=16), nullable=True))
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.alter_column("device_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_evidence_device_id"), ["device_id", "alert_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_device_id_alerts"),
            "alerts",
            ["device_id", "alert_id"],
            ["device_id", "alert_id"],
        )
    # Plain ALTER TABLE, also on SQLite: a batch copy of `events` would break the rows pointing at it.
    op.add_column(
        "events", sa.Column("clock_flagged", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)


def downgrade() -> None:
    """Back to one alert-id namespace; fails if two devices now share an alert id."""
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
    op.drop_table("audit_log")
    op.drop_column("events", "clock_flagged")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint("fk_evidence_device_id_alerts", type_="foreignkey")
        batch_op.drop_constraint("uq_evidence_device_id", type_="unique")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("clock_flag")
        batch_op.drop_constraint("uq_alerts_device_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_alerts_alert_id"), ["alert_id"])
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("device_id")
        batch_op.create_unique_constraint(batch_op.f("uq_evidence_alert_id"), ["alert_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_alert_id_alerts"), "alerts", ["alert_id"], ["alert_id"]
        )
