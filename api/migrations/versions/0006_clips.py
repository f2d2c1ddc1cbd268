"""evidence clips

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:30:00.000000

Clips of alerts (kept in the object store, one row per device and alert id), the record of deleted
evidence, and the legal hold flag of events.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alert_offset_s", sa.Float(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_clips_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clips")),
        sa.UniqueConstraint("device_id", "alert_id", name=op.f("uq_clips_device_id")),
    )
    op.create_index(op.f("ix_clips_alert_id"), "clips", ["alert_id"], unique=False)
    op.create_index(op.f("ix_clips_event_id"), "clips", ["event_id"], unique=False)
    op.create_table(
        "evidence_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_evidence_deletions_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_deletions")),
    )
    op.create_index(op.f("ix_evidence_deletions_event_id"), "evidence_deletions", ["event_id"], unique=False)
    op.create_index(op.f("ix_evidence_deletions_at"), "evidence_deletions", ["at"], unique=False)
    # Plain ALTER TABLE, also on SQLite: a batch copy of `events` would break the rows pointing at it.
    op.add_column("events", sa.Column("legal_hold", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("events", "legal_hold")
    op.drop_index(op.f("ix_evidence_deletions_at"), table_name="evidence_deletions")
    op.drop_index(op.f("ix_evidence_deletions_event_id"), table_name="evidence_deletions")
    op.drop_table("evidence_deletions")
    op.drop_index(op.f("ix_clips_event_id"), table_name="clips")
    op.drop_index(op.f("ix_clips_alert_id"), table_name="clips")
    op.drop_table("clips")
