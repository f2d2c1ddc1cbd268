"""centre replicas

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:30:00.000000

Several API replicas share one PostgreSQL: a webhook delivery is leased by the replica that claims
it (`lease_until`, `lease_owner`, `lease_token`: a replica that dies mid-send loses its claim when
the lease runs out, and a late answer from it cannot overwrite the next claimant's result), and
each subscription carries its circuit breaker (`failure_streak`, `paused_until`) so every replica
stops sending to a subscriber that keeps failing. A partial index finds a subscription's pending
deliveries without walking the delivered ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, also on SQLite: a batch copy would break the rows pointing at these tables.
    op.add_column("webhook_deliveries", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("lease_owner", sa.String(length=64), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("lease_token", sa.String(length=32), nullable=True))
    pending = sa.text("state = 'pending'")
    op.create_index(
        "ix_webhook_deliveries_pending",
        "webhook_deliveries",
        ["subscription_id", "id"],
        postgresql_where=pending,
        sqlite_where=pending,
    )
    op.add_column(
        "webhook_subscriptions",
        sa.Column("failure_streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "webhook_subscriptions", sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 too), for the same reason as in upgrade().
    op.drop_column("webhook_subscriptions", "paused_until")
    op.drop_column("webhook_subscriptions", "failure_streak")
    op.drop_index("ix_webhook_deliveries_pending", table_name="webhook_deliveries")
    for column in ("lease_token", "lease_owner", "lease_until"):
        op.drop_column("webhook_deliveries", column)
