"""Fleet units of work: store a heartbeat (clearing a box's fault when it returns) and the offline
sweep (leader-run, like escalation); each opens its own session and commits."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from api.context import ApiContext
from api.errors import ApiError, NotFoundError
from api.jobs.units import ingest
from api.live import commit_and_publish
from api.services.heartbeats import box_fault_alert, mark_silent, record_heartbeat, trim_history, where_box_is
from api.services.ingest import IngestItem
from gridwatch.contracts.alert import AlertPhase
from gridwatch.contracts.heartbeat import Heartbeat

logger = logging.getLogger(__name__)


def store_heartbeats(ctx: ApiContext, items: Sequence[tuple[str, Heartbeat]]) -> list[bool | ApiError]:
    """Keep each box's heartbeat, all in one commit (`GroupCommitter`); per item, True when the box
    came back from offline (its fault is then resolved), or the error for that item."""
    now = datetime.now(UTC)
    results: list[bool | ApiError] = []
    with ctx.sessions() as session:
        for device_id, beat in items:
            came_back = record_heartbeat(session=session, box_id=device_id, beat=beat, now=now)
            results.append(NotFoundError(f"no edge box {device_id!r}") if came_back is None else came_back)
        back = [device_id for (device_id, _), r in zip(items, results, strict=True) if r is True]
        if back:
            logger.info("edge boxes back online: %s", back)
            _raise(ctx, session, back, AlertPhase.CLEARED, now)
        commit_and_publish(session, ctx.live)
    return results


def run_fleet_sweep(ctx: ApiContext, now: datetime | None = None) -> list[str]:
    """Boxes silent past `heartbeat_timeout_s` become offline with one maintenance event each."""
    now = now or datetime.now(UTC)
    timeout = timedelta(seconds=ctx.settings.heartbeat_timeout_s)
    with ctx.sessions() as session:
        silent = mark_silent(session=session, now=now, timeout=timeout)
        trim_history(session=session, keep=ctx.settings.heartbeat_history)
        _raise(ctx, session, silent, AlertPhase.RAISED, now)
        commit_and_publish(session, ctx.live)
    if silent:
        logger.warning(
            "edge boxes silent for over %.0f s, now offline: %s", timeout.total_seconds(), ", ".join(silent)
        )
    return silent


def _raise(
    ctx: ApiContext, session: Session, box_ids: Sequence[str], phase: AlertPhase, now: datetime
) -> None:
    """Store the centre's `device_offline` alert (raised or cleared) for each box, where it stands."""
    items = []
    for box_id in box_ids:
        location = where_box_is(session=session, box_id=box_id)
        if location is None:
            logger.warning("edge box %s has no registered location: no maintenance event placed", box_id)
            continue
        alert = box_fault_alert(box_id=box_id, location=location, phase=phase, now=now)
        digest = hashlib.sha256(alert.model_dump_json().encode()).hexdigest()
        items.append(IngestItem(alert, "", digest, system=True))
    if not items:
        return
    for result in ingest(ctx, session, items, now):
        if isinstance(result, Exception):
            logger.error("the centre's device_offline alert was refused: %s", result)
