"""The audit trail of access changes (webhooks, users, device and user tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.orm import AuditEntry


def audit(
    *,
    session: Session,
    actor: str,
    action: str,
    target_kind: str,
    target: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that `actor` did `action` to `target_kind` `target` at `now`, in the caller's transaction."""
    entry = AuditEntry(
        at=now, actor=actor, action=action, target_kind=target_kind, target=target, data=data or {}
    )
    session.add(entry)
    return entry


def recent(*, session: Session, limit: int) -> list[AuditEntry]:
    """The newest audit entries first."""
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
