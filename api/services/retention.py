"""Retention of evidence (clips and snapshots) by policy: age and total size.

Only events that are finished (closed or dismissed) and not on legal hold ever lose evidence; an
event that is still open, resolved but not closed, or held keeps everything. First, evidence of events
finished more than `days` ago goes; then, while the total kept is over `max_bytes`, the evidence of
the longest-finished deletable events. Every deleted file is recorded (`evidence_deletions`, with its
sha256) and noted in the event's history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from api.logic.lifecycle import Status
from api.orm import ClipRow, Event, EvidenceDeletion, EvidenceRow
from api.orm.alert import AlertRow
from api.services.history import record

logger = logging.getLogger(__name__)

FINISHED = (Status.CLOSED.value, Status.DISMISSED.value)
ACTOR = "retention"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long and how much evidence is kept."""

    days: float
    max_bytes: int | None = None


@dataclass
class RetentionReport:
    """What one sweep deleted."""

    events: int = 0
    clips: int = 0
    snapshots: int = 0
    bytes: int = 0
    keys: list[str] = field(default_factory=list)
    """Object-store keys to delete once the transaction has committed (rows first, then files)."""


def finished_at(event: Event) -> datetime:
    """When an event was finished: closed, else (dismissed) its last sighting."""
    return event.closed_at or event.last_seen


def _same_alert() -> ColumnElement[bool]:
    return and_(AlertRow.device_id == EvidenceRow.device_id, AlertRow.alert_id == EvidenceRow.alert_id)


def total_bytes(session: Session) -> int:
    """Evidence bytes kept now: complete clips plus snapshots."""
    clips = session.scalar(select(func.coalesce(func.sum(ClipRow.size), 0)).where(ClipRow.complete))
    snaps = session.scalar(select(func.coalesce(func.sum(EvidenceRow.size), 0)))
    return int(clips or 0) + int(snaps or 0)


def deletable(session: Session) -> list[Event]:
    """Finished events not on hold that still have evidence, longest finished first."""
    with_clips = select(ClipRow.event_id)
    with_snaps = select(AlertRow.event_id).join(EvidenceRow, _same_alert())
    events = session.scalars(
        select(Event).where(
            Event.status.in_(FINISHED),
            Event.legal_hold.is_(False),
            Event.id.in_(with_clips.union(with_snaps)),
        )
    ).all()
    return sorted(events, key=finished_at)


def sweep(*, session: Session, policy: RetentionPolicy, now: datetime) -> RetentionReport:
    """Delete the rows of what the policy says; the caller commits, then deletes `report.keys`."""
    report = RetentionReport()
    cutoff = now - timedelta(days=policy.days)
    candidates = deletable(session)
    for event in [e for e in candidates if finished_at(e) < cutoff]:
        _delete_evidence(session, event, f"older than {policy.days:g} days", now, report)
    if policy.max_bytes is not None:
        left = [e for e in candidates if finished_at(e) >= cutoff]
        total = total_bytes(session)
        while total > policy.max_bytes and left:
            freed = _delete_evidence(
                session, left.pop(0), f"total over {policy.max_bytes} bytes", now, report
            )
            total -= freed
    if report.events:
        logger.info(
            "retention deleted evidence of %d events: %d clips, %d snapshots, %d bytes",
            report.events,
            report.clips,
            report.snapshots,
            report.bytes,
        )
    return report


ABANDONED_AFTER = timedelta(days=7)
"""An upload declared this long ago and still incomplete is given up (its box may declare it again)."""


def drop_abandoned_uploads(*, session: Session, now: datetime) -> list[str]:
    """Forget clip uploads left incomplete for `ABANDONED_AFTER`; returns their staging prefixes."""
    rows = session.scalars(
        select(ClipRow).where(ClipRow.complete.is_(False), ClipRow.created_at < now - ABANDONED_AFTER)
    ).all()
    for row in rows:
        logger.warning(
            "clip upload of alert %s (device %s) abandoned at %d of %d bytes",
            row.alert_id,
            row.device_id,
            row.received,
            row.size,
        )
        session.delete(row)
    return [f"staging/{row.device_id}/{row.alert_id}/" for row in rows]


def _delete_evidence(
    session: Session, event: Event, reason: str, now: datetime, report: RetentionReport
) -> int:
    """Delete one event's clips and snapshots, recording each; returns the bytes freed."""
    freed = 0
    clips = session.scalars(select(ClipRow).where(ClipRow.event_id == event.id)).all()
    for clip in clips:
        report.keys.append(clip.storage_key)
        if clip.complete:
            _note(session, event, clip.alert_id, "clip", clip.sha256, clip.size, reason, now)
            freed += clip.size
            report.clips += 1
        session.delete(clip)
    snapshots = session.scalars(
        select(EvidenceRow).join(AlertRow, _same_alert()).where(AlertRow.event_id == event.id)
    ).all()
    for snap in snapshots:
        _note(session, event, snap.alert_id, "snapshot", snap.sha256, snap.size, reason, now)
        freed += snap.size
        report.snapshots += 1
        session.delete(snap)
    record(
        session=session,
        event=event,
        actor=ACTOR,
        action="evidence_deleted",
        at=now,
        from_status=event.status,
        note=reason,
        data={"clips": len(clips), "snapshots": len(snapshots), "bytes": freed},
    )
    report.events += 1
    report.bytes += freed
    return freed


def _note(
    session: Session,
    event: Event,
    alert_id: str,
    kind: str,
    sha256: str,
    size: int,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        EvidenceDeletion(
            event_id=event.id,
            alert_id=alert_id,
            kind=kind,
            sha256=sha256,
            size=size,
            reason=reason,
            actor=ACTOR,
            at=now,
        )
    )
