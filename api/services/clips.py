"""Clip uploads (declare, then chunks from where the centre's copy ends) and reading clips back.

Chunks are staged as objects of their own (`staging/<device>/<alert>/<offset>`) in the evidence
store, so any replica can take the next chunk; the last one assembles the file, checks its sha256
against the declared one and stores it as `clips/<device>/<alert>.mp4`.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import begin_write
from api.errors import BadInputError, ConflictError, NotFoundError, PayloadTooLargeError
from api.orm import AlertRow, ClipRow, Device
from api.services.events import get_event, the_one
from api.services.principals import Principal
from api.storage import ObjectStore
from gridwatch.contracts import ClipInfo, ClipUploadState


@dataclass(frozen=True)
class ClipLimits:
    """The centre's limits on clip uploads."""

    max_bytes: int
    max_chunk_bytes: int


@dataclass(frozen=True)
class ChunkRange:
    """A parsed `Content-Range: bytes start-end/total`."""

    start: int
    end: int
    total: int


class OffsetMismatchError(ConflictError):
    """A chunk that does not start where the centre's copy ends; carries the centre's state."""

    def __init__(self, state: ClipUploadState) -> None:
        super().__init__(f"chunk must start at byte {state.received}")
        self.state = state


def parse_content_range(header: str | None) -> ChunkRange:
    """`bytes START-END/TOTAL` → ChunkRange; 422 naming the header otherwise."""
    try:
        unit, _, spec = (header or "").partition(" ")
        span, _, total = spec.partition("/")
        start, _, end = span.partition("-")
        parsed = ChunkRange(int(start), int(end), int(total))
    except ValueError:
        raise BadInputError(f"Content-Range {header!r} is not 'bytes START-END/TOTAL'") from None
    if unit != "bytes" or parsed.start < 0 or parsed.end < parsed.start or parsed.total <= parsed.end:
        raise BadInputError(f"Content-Range {header!r} is not a valid byte range of the file")
    return parsed


def staging_prefix(device_id: str, alert_id: str) -> str:
    """Where the chunks of one upload wait."""
    return f"staging/{device_id}/{alert_id}/"


def _state(row: ClipRow, limits: ClipLimits) -> ClipUploadState:
    return ClipUploadState(
        alert_id=row.alert_id,
        received=row.received,
        size=row.size,
        complete=row.complete,
        max_chunk_bytes=limits.max_chunk_bytes,
    )


def _clip_row(session: Session, device_id: str, alert_id: str) -> ClipRow | None:
    return session.scalar(select(ClipRow).where(ClipRow.device_id == device_id, ClipRow.alert_id == alert_id))


def declare_clip(
    *, session: Session, store: ObjectStore, device: Device, info: ClipInfo, limits: ClipLimits, now: datetime
) -> ClipUploadState:
    """Start (or resume) the upload of an alert's clip; 404 until the alert itself has arrived."""
    if info.size > limits.max_bytes:
        raise PayloadTooLargeError(f"clip is {info.size} bytes; this centre takes at most {limits.max_bytes}")
    begin_write(session)
    alert = session.scalar(
        select(AlertRow).where(AlertRow.alert_id == info.alert_id, AlertRow.device_id == device.device_id)
    )
    if alert is None:
        raise NotFoundError(f"no alert {info.alert_id!r} of device {device.device_id}: send the alert first")
    row = _clip_row(session, device.device_id, info.alert_id)
    if row is not None and row.complete:
        if row.sha256 != info.sha256:
            raise ConflictError(f"alert {info.alert_id!r} already has a clip with sha256 {row.sha256}")
        return _state(row, limits)
    if row is None:
        row = ClipRow(
            device_id=device.device_id,
            alert_id=info.alert_id,
            event_id=alert.event_id,
            received=0,
            chunks=0,
            complete=False,
            created_at=now,
            storage_key=f"clips/{device.device_id}/{info.alert_id}.mp4",
        )
        session.add(row)
    elif row.sha256 != info.sha256 or row.size != info.size:
        _drop_staged(store, row)  # a different file than the one half sent: start over
    _describe(row, info)
    session.commit()
    return _state(row, limits)


def _describe(row: ClipRow, info: ClipInfo) -> None:
    row.sha256, row.size, row.content_type = info.sha256, info.size, info.content_type
    row.duration_s, row.started_at, row.alert_offset_s = info.duration_s, info.started_at, info.alert_offset_s
    row.frames, row.width, row.height = info.frames, info.width, info.height
    row.source, row.truncated = info.source, info.truncated


def _drop_staged(store: ObjectStore, row: ClipRow) -> None:
    for key in store.keys(staging_prefix(row.device_id, row.alert_id)):
        store.delete(key)
    row.received, row.chunks = 0, 0


def put_chunk(
    *,
    session: Session,
    store: ObjectStore,
    device: Device,
    alert_id: str,
    span: ChunkRange,
    data: bytes,
    limits: ClipLimits,
    now: datetime,
) -> ClipUploadState:
    """Store one chunk at the end of the centre's copy; the last one completes and verifies the clip."""
    if len(data) > limits.max_chunk_bytes:
        raise PayloadTooLargeError(
            f"chunk is {len(data)} bytes; at most {limits.max_chunk_bytes} per request"
        )
    if len(data) != span.end - span.start + 1:
        raise BadInputError(f"Content-Range says {span.end - span.start + 1} bytes; the body has {len(data)}")
    begin_write(session)
    row = session.scalar(
        select(ClipRow)
        .where(ClipRow.device_id == device.device_id, ClipRow.alert_id == alert_id)
        .with_for_update()
    )
    if row is None:
        raise NotFoundError(f"no clip upload for alert {alert_id!r}: declare it first with POST")
    if row.complete:
        return _state(row, limits)
    if span.total != row.size:
        raise BadInputError(f"Content-Range total {span.total} is not the declared size {row.size}")
    if span.start != row.received:
        raise OffsetMismatchError(_state(row, limits))
    store.put_bytes(f"{staging_prefix(row.device_id, alert_id)}{span.start:012d}", data)
    row.received += len(data)
    row.chunks += 1
    if row.received == row.size:
        _assemble(session, store, row, now)
    session.commit()
    return _state(row, limits)


def _assemble(session: Session, store: ObjectStore, row: ClipRow, now: datetime) -> None:
    """Join the staged chunks, check the sha256, store the clip; a mismatch starts the upload over."""
    digest = hashlib.sha256()
    keys = store.keys(staging_prefix(row.device_id, row.alert_id))
    with tempfile.TemporaryDirectory(prefix="gridwatch-clip-") as folder:
        path = Path(folder) / "clip.mp4"
        with path.open("wb") as out:
            for key in keys:
                for block in store.read(key):
                    digest.update(block)
                    out.write(block)
        if digest.hexdigest() != row.sha256:
            _drop_staged(store, row)
            session.commit()
            raise BadInputError(
                f"the clip received has sha256 {digest.hexdigest()}, not the declared {row.sha256}; "
                "send it again"
            )
        store.put_file(row.storage_key, path)
    for key in keys:
        store.delete(key)
    row.complete, row.completed_at = True, now


def clip_of(
    *, session: Session, principal: Principal, code: str, alert_id: str, device_id: str | None = None
) -> ClipRow:
    """The complete clip of one alert of a visible event; 404 otherwise, 409 when two devices of the
    event used the alert id and `device_id` does not say which (like the evidence snapshot)."""
    event = get_event(session=session, principal=principal, code=code)
    query = select(ClipRow).where(
        ClipRow.event_id == event.id, ClipRow.alert_id == alert_id, ClipRow.complete
    )
    if device_id is not None:
        query = query.where(ClipRow.device_id == device_id)
    rows = session.scalars(query.order_by(ClipRow.id)).all()
    return the_one(rows, what="clip", alert_id=alert_id, code=code)


def utcnow() -> datetime:
    """Now, UTC (one place, so routes read alike)."""
    return datetime.now(UTC)
