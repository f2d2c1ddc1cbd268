"""Append-only event history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.orm import Event, EventHistory


def record(
    *,
    session: Session,
    event: Event,
    actor: str,
    action: str,
    at: datetime,
    from_status: str | None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> EventHistory:
    """Append one history entry for `event` (its status is the new status)."""
    entry = EventHistory(
        event_id=event.id,
        at=at,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=event.status,
        note=note,
        data=data or {},
    )
    session.add(entry)
    return entry
