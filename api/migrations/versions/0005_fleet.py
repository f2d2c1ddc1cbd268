"""fleet inventory

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:30:00.000000

Reserved in the migration chain for this wave's work on fleet inventory; a branch fills it in.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
