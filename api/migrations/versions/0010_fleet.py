"""fleet inventory

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 09:30:00.000000

The centre knows every edge box and its cameras and sensors. Source ids come from a box's config,
so they are unique per box only: the global unique constraint on `devices.device_id` becomes two
partial unique indexes (boxes by id; sources by box and id). Devices get a GB/T 28181 id, notes,
where their registered location lies (for scoped reads), and the latest heartbeat; `heartbeats`
keeps a short history per box. Alerts record how far a claimed location lay from the registered one; events
carry a flag when one did.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOX_ROW = sa.text("parent_device_id IS NULL")
SOURCE_ROW = sa.text("parent_device_id IS NOT NULL")
DEVICE_COLUMNS = (
    ("gb_id", sa.String(length=20)),
    ("cell_code", sa.String(length=64)),
    ("grid_path", sa.String(length=512)),
    ("updated_at", sa.DateTime(timezone=True)),
    ("state", sa.String(length=16)),
    ("last_seen_at", sa.DateTime(timezone=True)),
    ("status", sa.JSON()),
)


def upgrade() -> None:
    # Nothing references `devices`, so SQLite's batch copy (needed to drop a constraint) is safe here.
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_constraint("uq_devices_device_id", type_="unique")
        batch_op.add_column(sa.Column("notes", sa.String(length=512), server_default="", nullable=False))
        for name, type_ in DEVICE_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    op.create_index(
        "uq_devices_box",
        "devices",
        ["device_id"],
        unique=True,
        sqlite_where=BOX_ROW,
        postgresql_where=BOX_ROW,
    )
    op.create_index(
        "uq_devices_source",
        "devices",
        ["parent_device_id", "device_id"],
        unique=True,
        sqlite_where=SOURCE_ROW,
        postgresql_where=SOURCE_ROW,
    )
    op.create_table(
        "heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeats")),
    )
    op.create_index("ix_heartbeats_box", "heartbeats", ["device_id", "id"])
    op.add_column("alerts", sa.Column("location_offset_m", sa.Float(), nullable=True))
    op.add_column(
        "events", sa.Column("location_flagged", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("events", "location_flagged")
    op.drop_column("alerts", "location_offset_m")
    op.drop_index("ix_heartbeats_box", table_name="heartbeats")
    op.drop_table("heartbeats")
    op.drop_index("uq_devices_source", table_name="devices")
    op.drop_index("uq_devices_box", table_name="devices")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        for name, _type in DEVICE_COLUMNS:
            batch_op.drop_column(name)
        batch_op.drop_column("notes")
        batch_op.create_unique_constraint("uq_devices_device_id", ["device_id"])
