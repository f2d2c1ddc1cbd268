"""Comments on an event: history entries that change nothing but say something."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from api.live import notice
from api.orm import EventHistory
from api.services.events import get_event
from api.services.history import record
from api.services.principals import Principal

COMMENT = "comment"


def add_comment(
    *, session: Session, principal: Principal, code: str, text: str, now: datetime
) -> EventHistory:
    """Append a comment by `principal` to event `code` (404 outside their scope)."""
    event = get_event(session=session, principal=principal, code=code)
    entry = record(
        session=session,
        event=event,
        actor=principal.username,
        action=COMMENT,
        at=now,
        from_status=event.status,
        note=text,
    )
    notice(session, code=event.code, grid_path=event.grid_path, kind=COMMENT)
    return entry
