"""edge configuration kept at the centre

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 12:50:00.000000

Each edge box's configuration (cameras, detector settings, zones, lines, rules, sensors) saved at the
centre as numbered versions with who saved them and when; the box runs the newest. The newest
snapshot of each camera, uploaded by its box, for the console's zone editor.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "box_config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_config_versions")),
        sa.UniqueConstraint("device_id", "version", name=op.f("uq_box_config_versions_device_id")),
    )
    op.create_index(
        op.f("ix_box_config_versions_device_id"), "box_config_versions", ["device_id"], unique=False
    )
    op.create_table(
        "camera_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_snapshots")),
        sa.UniqueConstraint("device_id", "camera_id", name=op.f("uq_camera_snapshots_device_id")),
    )


def downgrade() -> None:
    op.drop_table("camera_snapshots")
    op.drop_index(op.f("ix_box_config_versions_device_id"), table_name="box_config_versions")
    op.drop_table("box_config_versions")
