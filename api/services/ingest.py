"""Alerts → grid events: authenticate, deduplicate, locate, correlate, store — a batch at a time.

The batch runs in one transaction; the caller commits and only then answers the senders. Alert ids
are unique per device: (device_id, alert_id) is the idempotency key. An alert whose `observed_at`
lies outside the centre's clock window is stored flagged and correlated by the time received.

Trust follows the inventory: an alert is accepted only for a source registered in the posting box's
inventory (else 422 naming the source), and it is placed by the source's **registered** location.
A claimed location farther from it than the centre's tolerance is recorded on the alert row and
flags the event; it never moves the event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.orm import Session

from api.centre import CentreConfig
from api.db import JsonText
from api.errors import (
    ApiError,
    BadInputError,
    ConflictError,
    ForbiddenError,
    PayloadTooLargeError,
)
from api.live import notice
from api.logic.correlation import ClockWindow, correlation_key, pick_event, pick_for_clear
from api.logic.distance import metres_between
from api.logic.gridstate import GridState
from api.logic.times import EPOCH
from api.orm import AlertRow, Base, Device, Event, EvidenceRow, Subscription
from api.schemas.events import AlertAccepted
from api.security import hash_token
from api.services.events_open import open_event
from api.services.faults import fault_key, resolve_cleared
from api.services.inventory import source_index
from api.services.principals import usable_device
from api.services.spans import EventSpan, latest_span, load_spans, lock_keys, write_spans
from api.services.webhooks import active_subscriptions
from gridwatch.contracts.alert import Alert, AlertKind, AlertPhase, Location, Severity

DEFAULT_TOLERANCE_M = 200.0
ALERTS = Base.metadata.tables[AlertRow.__tablename__]
EVIDENCE = Base.metadata.tables[EvidenceRow.__tablename__]


@dataclass(frozen=True)
class IngestItem:
    """One posted alert with the sender's token and the sha256 of the exact bytes posted."""

    alert: Alert
    token: str
    payload_sha256: str
    system: bool = False
    """Raised by the centre itself (a box gone silent, `api.services.heartbeats`): no token, and
    its location is the one the centre computed from the inventory."""


@dataclass(frozen=True)
class Accepted:
    """The answer for one alert; `replay` when it repeats an earlier answer."""

    body: AlertAccepted
    replay: bool


@dataclass(frozen=True)
class _Where:
    """Where an alert lies and which events it may join."""

    cell: str | None
    path: str | None
    type_code: str
    key: str
    seen_at: datetime
    clock_flag: str | None
    source: Device | None
    offset_m: float | None


class UnknownSourceError(BadInputError):
    """The alert's source is not in the posting box's inventory (422, counted at /metrics)."""


@dataclass
class _Batch:
    session: Session
    centre: CentreConfig
    evidence_max_bytes: int
    now: datetime
    devices: dict[str, Device]
    answered: dict[tuple[str, str], tuple[str, AlertAccepted]]
    subscriptions: list[Subscription]
    spans: dict[tuple[str, str], list[EventSpan]] = field(default_factory=dict)
    closed_spans: list[EventSpan] = field(default_factory=list)
    alert_rows: list[dict[str, Any]] = field(default_factory=list)
    location_flagged: set[int] = field(default_factory=set)
    faults_cleared: set[int] = field(default_factory=set)
    evidence_rows: list[dict[str, Any]] = field(default_factory=list)


def ingest_batch(
    *,
    session: Session,
    centre: CentreConfig,
    grids: GridState,
    evidence_max_bytes: int,
    items: Sequence[IngestItem],
    now: datetime,
    clock: ClockWindow | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> list[Accepted | ApiError]:
    """Process `items` in order inside the session's transaction; errors are per item.

    Lookups are done for the whole batch up front (one index query, one query per table), and
    rows are flushed together at commit, so the cost per alert stays small as batches grow.
    """
    sources = source_index(session=session, pairs={(i.alert.device_id, i.alert.source_id) for i in items})
    wheres = _locate(centre, grids, items, sources, clock or ClockWindow(), now, tolerance_m)
    lock_keys(session, {(w.type_code, w.key) for w in wheres})
    batch = _Batch(
        session,
        centre,
        evidence_max_bytes,
        now,
        devices=_devices(session, {hash_token(i.token) for i in items}),
        answered=_answered(session, {_key(i.alert) for i in items}),
        subscriptions=active_subscriptions(session=session),
        spans=load_spans(
            session, {(w.type_code, w.key) for w in wheres}, seen_since=_earliest(centre, items, wheres)
        ),
    )
    results: list[Accepted | ApiError] = []
    with session.no_autoflush:
        for item, where in zip(items, wheres, strict=True):
            try:
                results.append(_ingest_one(batch, item, where))
            except ApiError as exc:
                results.append(exc)
    _insert_rows(batch)
    resolve_cleared(
        session=session, event_ids=batch.faults_cleared, subscriptions=batch.subscriptions, now=now
    )
    return results


def _flag_locations(batch: _Batch) -> None:
    if batch.location_flagged:
        batch.session.execute(
            update(Event).where(Event.id.in_(sorted(batch.location_flagged))).values(location_flagged=True)
        )


def _insert_rows(batch: _Batch) -> None:
    """Write the batch's alert and evidence rows with one multi-row INSERT each."""
    batch.session.flush()
    write_spans(
        batch.session, [span for spans in batch.spans.values() for span in spans] + batch.closed_spans
    )
    # Core inserts on the session's connection: the ORM's bulk path costs more than SQLite here.
    _flag_locations(batch)
    connection = batch.session.connection()
    if batch.alert_rows:
        connection.execute(insert(ALERTS), batch.alert_rows)
    if batch.evidence_rows:
        connection.execute(insert(EVIDENCE), batch.evidence_rows)


def _key(alert: Alert) -> tuple[str, str]:
    """The idempotency key: alert ids are chosen at the edge, so they are unique per device only."""
    return alert.device_id, alert.alert_id


def _earliest(centre: CentreConfig, items: Sequence[IngestItem], wheres: Sequence[_Where]) -> datetime:
    """Open events last seen before this cannot take any alert of the batch (clears take any)."""
    if any(i.alert.phase is AlertPhase.CLEARED for i in items):
        return EPOCH
    widest = max(centre.window_minutes(code) for code in centre.event_types)
    return min(w.seen_at for w in wheres) - timedelta(minutes=widest)


def _locate(
    centre: CentreConfig,
    grids: GridState,
    items: Sequence[IngestItem],
    sources: dict[tuple[str, str], Device],
    clock: ClockWindow,
    now: datetime,
    tolerance_m: float,
) -> list[_Where]:
    """Where each alert lies: at its registered source (an unknown source is refused later)."""
    found = [sources.get((i.alert.device_id, i.alert.source_id)) for i in items]
    spots = [_registered(i.alert, s) for i, s in zip(items, found, strict=True)]
    cells = grids.locate_many([s.lon for s in spots], [s.lat for s in spots])
    return [
        _Where(
            cell,
            path,
            centre.type_for(i.alert.kind),
            fault_key(i.alert) or correlation_key(cell_code=cell, device_id=i.alert.device_id),
            *clock.judge(i.alert.observed_at, received_at=now),
            source,
            _offset(i.alert.location, spot, tolerance_m),
        )
        for i, (cell, path), source, spot in zip(items, cells, found, spots, strict=True)
    ]


def _registered(alert: Alert, source: Device | None) -> Location:
    if source is None or source.lon is None or source.lat is None:
        return alert.location
    return Location(lon=source.lon, lat=source.lat)


def _offset(claimed: Location, registered: Location, tolerance_m: float) -> float | None:
    """Metres between the claimed and registered location when over the tolerance, else None."""
    if claimed == registered:
        return None
    metres = metres_between(claimed.lon, claimed.lat, registered.lon, registered.lat)
    return round(metres, 1) if metres > tolerance_m else None


def _devices(session: Session, hashes: set[str]) -> dict[str, Device]:
    rows = session.scalars(select(Device).where(Device.token_hash.in_(hashes)))
    return {d.token_hash: d for d in rows if d.token_hash is not None}


def _answered(
    session: Session, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, AlertAccepted]]:
    rows = session.execute(
        select(
            AlertRow.device_id,
            AlertRow.alert_id,
            AlertRow.payload_sha256,
            AlertRow.outcome,
            AlertRow.cell_code,
            Event.code,
        )
        .join(Event, Event.id == AlertRow.event_id)
        .where(tuple_(AlertRow.device_id, AlertRow.alert_id).in_(sorted(keys)))
    )
    return {
        (r.device_id, r.alert_id): (
            r.payload_sha256,
            AlertAccepted(alert_id=r.alert_id, event_code=r.code, outcome=r.outcome, cell_code=r.cell_code),
        )
        for r in rows
    }


def _authenticate(batch: _Batch, item: IngestItem) -> None:
    if item.system:
        return
    device = usable_device(batch.devices.get(hash_token(item.token)))
    if device.device_id != item.alert.device_id:
        raise ForbiddenError(f"token of {device.device_id!r} cannot post for {item.alert.device_id!r}")


def _ingest_one(batch: _Batch, item: IngestItem, where: _Where) -> Accepted:
    _authenticate(batch, item)
    alert = item.alert
    earlier = batch.answered.get(_key(alert))
    if earlier is not None:
        if not _same_payload(earlier[0], item):
            raise ConflictError(
                f"alert_id {alert.alert_id!r} of device {alert.device_id!r} was already used "
                "for a different alert"
            )
        return Accepted(earlier[1], replay=True)
    if where.source is None and not item.system:
        raise UnknownSourceError(
            f"source_id {alert.source_id!r} is not in the inventory of box {alert.device_id!r}; register it "
            f"at the centre (gridwatch api add-source {alert.device_id} {alert.source_id} ...)",
            loc=("body", "source_id"),
        )
    snapshot = alert.evidence.snapshot_bytes()
    if len(snapshot) > batch.evidence_max_bytes:
        raise PayloadTooLargeError(
            f"evidence snapshot is {len(snapshot)} bytes; this centre accepts {batch.evidence_max_bytes}"
        )
    answer = _store(batch, alert, where, item.payload_sha256, snapshot)
    batch.answered[_key(alert)] = (item.payload_sha256, answer)
    return Accepted(answer, replay=False)


def _same_payload(stored_sha256: str, item: IngestItem) -> bool:
    """Whether a retry repeats the stored alert: the same bytes, or, for an alert stored before the
    centre hashed the bytes it received (or first sent in canonical form), the same canonical form."""
    return stored_sha256 == item.payload_sha256 or stored_sha256 == canonical_sha256(item.alert)


def canonical_sha256(alert: Alert) -> str:
    """The sha256 of the alert re-serialised by the contract: what the centre stored up to issue 17."""
    return hashlib.sha256(alert.model_dump_json().encode("utf-8")).hexdigest()


def _store(batch: _Batch, alert: Alert, where: _Where, payload_sha256: str, snapshot: bytes) -> AlertAccepted:
    span = _join(batch, where, alert)
    outcome = "joined" if span is not None else "opened"
    if span is None:
        event = open_event(
            session=batch.session,
            centre=batch.centre,
            alert=_placed(alert, where),
            type_code=where.type_code,
            key=where.key,
            cell_code=where.cell,
            grid_path=where.path,
            subscriptions=batch.subscriptions,
            now=batch.now,
            seen_at=where.seen_at,
            clock_flag=where.clock_flag,
        )
        span = EventSpan(
            event.id,
            event.code,
            event.first_seen,
            event.last_seen,
            Severity(event.severity),
            event.clock_flagged,
        )
        batch.spans[(where.type_code, where.key)].append(span)
    if where.offset_m is not None:
        batch.location_flagged.add(span.event_id)
    if alert.kind is AlertKind.DEVICE_OFFLINE:
        _fault_seen(batch, alert, where, span.event_id)
    row = _alert_row(
        alert=alert,
        payload_sha256=payload_sha256,
        where=where,
        event_id=span.event_id,
        outcome=outcome,
        now=batch.now,
    )
    batch.alert_rows.append(row)
    notice(batch.session, code=span.code, grid_path=where.path or "/", kind=outcome)
    if snapshot:
        sha = alert.evidence.snapshot_sha256 or ""
        evidence = {
            "device_id": alert.device_id,
            "alert_id": alert.alert_id,
            "sha256": sha,
            "size": len(snapshot),
            "jpeg": snapshot,
        }
        batch.evidence_rows.append(evidence)
    return AlertAccepted(alert_id=alert.alert_id, event_code=span.code, outcome=outcome, cell_code=where.cell)


def _fault_seen(batch: _Batch, alert: Alert, where: _Where, event_id: int) -> None:
    """A source reported offline (or back): its state follows; a clear resolves its fault event."""
    cleared = alert.phase is AlertPhase.CLEARED
    if cleared:
        batch.faults_cleared.add(event_id)
    if where.source is not None:
        where.source.state = "online" if cleared else "offline"
        where.source.last_seen_at = batch.now


def _placed(alert: Alert, where: _Where) -> Alert:
    """The alert as its event is opened: at the source's registered location."""
    source = where.source
    if source is None or source.lon is None or source.lat is None:
        return alert
    return alert.model_copy(update={"location": Location(lon=source.lon, lat=source.lat)})


def _join(batch: _Batch, where: _Where, alert: Alert) -> EventSpan | None:
    candidates = batch.spans[(where.type_code, where.key)]
    spans = [c.as_open_event() for c in candidates]
    if alert.phase is AlertPhase.CLEARED:
        chosen = pick_for_clear(spans)
    else:
        window = timedelta(minutes=batch.centre.window_minutes(where.type_code))
        chosen = pick_event(spans, observed_at=where.seen_at, window=window)
    span = next((c for c in candidates if c.event_id == chosen), None)
    if span is None and alert.phase is AlertPhase.CLEARED:
        span = _latest_span(batch, where)
    if span is not None:
        span.join(where.seen_at, alert.severity, clock_flagged=where.clock_flag is not None)
    return span


def _latest_span(batch: _Batch, where: _Where) -> EventSpan | None:
    """The latest event of the type and key, even closed: a clear after closing opens nothing new."""
    span = latest_span(batch.session, where.type_code, where.key)
    if span is not None:
        batch.closed_spans.append(span)
    return span


def _alert_row(
    *, alert: Alert, payload_sha256: str, where: _Where, event_id: int, outcome: str, now: datetime
) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "payload_sha256": payload_sha256,
        "device_id": alert.device_id,
        "source_id": alert.source_id,
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "observed_at": alert.observed_at,
        "received_at": now,
        "clock_flag": where.clock_flag,
        "lon": alert.location.lon,
        "lat": alert.location.lat,
        "location_offset_m": where.offset_m,
        "cell_code": where.cell,
        "event_id": event_id,
        "outcome": outcome,
        "payload": JsonText(alert.model_dump_json(exclude={"evidence": {"snapshot_jpeg_b64"}})),
    }
