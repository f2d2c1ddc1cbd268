"""Equipment faults (设备故障): one maintenance event per device that is down, resolved when it returns.

A box gone silent (`api.services.heartbeats`) and a camera or sensor the box reports offline (its
`device_offline` alerts) take the same path: a `device_offline` alert correlates by the device it
names — not by cell — so each box, camera and sensor has its own event; the `cleared` alert of its
return joins that event and resolves it with a system note.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.live import notice
from api.logic.lifecycle import OPEN_STATUSES, Status
from api.orm import Event, Subscription
from api.services.history import record
from api.services.webhooks import enqueue
from gridwatch.contracts.alert import Alert, AlertKind

SYSTEM_ACTOR = "system"
BACK_NOTE = "设备恢复在线，故障自动解除 (the device is back online; resolved by the centre)"


def fault_key(alert: Alert) -> str | None:
    """The correlation key of a `device_offline` alert: its box and source (None for other kinds)."""
    if alert.kind is not AlertKind.DEVICE_OFFLINE:
        return None
    digest = hashlib.sha256(f"{alert.device_id}/{alert.source_id}".encode()).hexdigest()[:40]
    return f"fault:{digest}"


def resolve_cleared(
    *, session: Session, event_ids: set[int], subscriptions: Sequence[Subscription], now: datetime
) -> int:
    """Resolve the still-open fault events among `event_ids` with a system note; how many."""
    if not event_ids:
        return 0
    open_ones = [s.value for s in OPEN_STATUSES]
    query = select(Event).where(Event.id.in_(sorted(event_ids)), Event.status.in_(open_ones))
    events = session.scalars(query)
    count = 0
    for event in events:
        before, event.status, event.resolved_at = event.status, Status.RESOLVED.value, now
        record(session=session, event=event, actor=SYSTEM_ACTOR, action="resolve", at=now,
               from_status=before, note=BACK_NOTE)  # fmt: skip
        notice(session, code=event.code, grid_path=event.grid_path, kind="resolve")
        enqueue(session=session, event=event, topic="event.status_changed", subscriptions=subscriptions,
                now=now)  # fmt: skip
        count += 1
    return count
