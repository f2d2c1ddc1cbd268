"""Legal hold (an audited action on an event) and the case export of all an event's evidence."""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from api.db import begin_write
from api.errors import ForbiddenError
from api.logic.manifest import MANIFEST, Manifest, ManifestFile, sha256_hex
from api.logic.roles import Role
from api.orm import AlertRow, ClipRow, Event, EvidenceDeletion, EvidenceRow
from api.services.events import event_detail, get_event
from api.services.history import record
from api.services.principals import Principal
from api.storage import ObjectStore

HOLD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def set_legal_hold(
    *, session: Session, principal: Principal, code: str, hold: bool, note: str, now: datetime
) -> Event:
    """Put an event on legal hold (its evidence is never deleted) or lift it; recorded in its history."""
    begin_write(session)
    event = get_event(session=session, principal=principal, code=code, for_update=True)
    if principal.role not in HOLD_ROLES:
        raise ForbiddenError(f"role {principal.role.value} may not change legal holds")
    if event.legal_hold != hold:
        event.legal_hold = hold
        record(
            session=session,
            event=event,
            actor=principal.username,
            action="legal_hold" if hold else "legal_hold_released",
            at=now,
            from_status=event.status,
            note=note,
        )
    return event


def export_event(
    *, session: Session, store: ObjectStore, principal: Principal, code: str, now: datetime, folder: Path
) -> Path:
    """Write `<code>.zip` into `folder`: event (with history), snapshots, clips, deletions, manifest.

    The export itself is recorded in the event's history (who took the evidence out, and when).
    """
    event = get_event(session=session, principal=principal, code=code)
    record(
        session=session,
        event=event,
        actor=principal.username,
        action="exported",
        at=now,
        from_status=event.status,
    )
    session.flush()
    files: list[ManifestFile] = []
    path = folder / f"{code}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        detail = event_detail(session=session, principal=principal, code=code)
        files.append(_put(archive, "event.json", detail.model_dump_json(indent=2).encode(), "event"))
        for snap in _snapshots(session, event.id):
            files.append(
                _put(
                    archive,
                    f"snapshots/{snap.alert_id}.jpg",
                    snap.jpeg,
                    "snapshot",
                    snap.alert_id,
                    snap.sha256,
                )
            )
        for clip in session.scalars(select(ClipRow).where(ClipRow.event_id == event.id, ClipRow.complete)):
            files.append(_put_clip(archive, store, clip))
        files.append(_put(archive, "deletions.json", _deletions(session, event.id), "deletions"))
        manifest = Manifest(event_code=code, exported_at=now, exported_by=principal.username, files=files)
        archive.writestr(MANIFEST, manifest.model_dump_json(indent=2))
    return path


def _put(
    archive: zipfile.ZipFile,
    name: str,
    data: bytes,
    kind: str,
    alert_id: str | None = None,
    recorded: str | None = None,
) -> ManifestFile:
    archive.writestr(name, data)
    return ManifestFile.model_validate(
        {
            "path": name,
            "kind": kind,
            "sha256": sha256_hex(data),
            "size": len(data),
            "alert_id": alert_id,
            "recorded_sha256": recorded,
        }
    )


def _put_clip(archive: zipfile.ZipFile, store: ObjectStore, clip: ClipRow) -> ManifestFile:
    """Stream a clip from the store into the zip, hashing it on the way."""
    digest, size = hashlib.sha256(), 0
    name = f"clips/{clip.alert_id}.mp4"
    with archive.open(name, "w", force_zip64=True) as out:
        for block in store.read(clip.storage_key):
            digest.update(block)
            size += len(block)
            out.write(block)
    return ManifestFile(
        path=name,
        kind="clip",
        sha256=digest.hexdigest(),
        size=size,
        alert_id=clip.alert_id,
        recorded_sha256=clip.sha256,
    )


def _snapshots(session: Session, event_id: int) -> list[EvidenceRow]:
    return list(
        session.scalars(
            select(EvidenceRow)
            .join(
                AlertRow,
                and_(AlertRow.device_id == EvidenceRow.device_id, AlertRow.alert_id == EvidenceRow.alert_id),
            )
            .where(AlertRow.event_id == event_id)
            .order_by(EvidenceRow.id)
        )
    )


def _deletions(session: Session, event_id: int) -> bytes:
    rows = session.scalars(
        select(EvidenceDeletion).where(EvidenceDeletion.event_id == event_id).order_by(EvidenceDeletion.id)
    )
    return json.dumps(
        [
            {
                "alert_id": r.alert_id,
                "kind": r.kind,
                "sha256": r.sha256,
                "size": r.size,
                "reason": r.reason,
                "actor": r.actor,
                "at": r.at.isoformat(),
            }
            for r in rows
        ],
        indent=2,
    ).encode()


def temp_folder() -> tempfile.TemporaryDirectory[str]:
    """A folder for one export, removed when the response has been sent."""
    return tempfile.TemporaryDirectory(prefix="gridwatch-export-")
