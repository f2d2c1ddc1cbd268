"""fleet inventory (reserved; its content is in 0010)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:30:00.000000

This slot of the chain landed empty at an earlier stop, so databases migrated then are already past
it: the fleet inventory's schema change is revision 0010, which every database runs.
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
