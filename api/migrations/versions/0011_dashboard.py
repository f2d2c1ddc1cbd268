"""dashboard and quality

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 09:30:00.000000

Indexes for the dashboard and quality figures: alerts by time received (the 7/30-day quality
windows) and events by time resolved (the resolved-per-day trend).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_alerts_received_at", "alerts", ["received_at"])
    op.create_index("ix_events_resolved_at", "events", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_events_resolved_at", table_name="events")
    op.drop_index("ix_alerts_received_at", table_name="alerts")
