"""The event page's view model, built from the same detail the JSON route returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from urllib.parse import quote

from api.console.chart import Chart, line_chart
from api.console.i18n import Translator
from api.console.queue_view import place_of, type_name
from api.logic.clocks import Deadlines, Milestones
from api.logic.lifecycle import OPEN_STATUSES
from api.logic.roles import may_act
from api.logic.sla import Chip, DeadlineState, deadline_states, next_chip
from api.orm import Grid
from api.schemas.events import EventAlertOut, EventDetail, HistoryOut, SupervisionOut, VerdictOut
from api.services.principals import Principal
from api.services.readings import ReadingPoint
from api.services.verdicts import best_box

GALLERY_AFTER = 6
"""More alerts than this are shown as a gallery of thumbnails."""


@dataclass(frozen=True)
class EvidenceItem:
    """One alert as evidence."""

    alert_id: str
    snapshot_url: str | None
    clip_url: str | None
    source_id: str
    source_kind: str
    device_id: str
    kind: str
    phase: str
    severity: str
    rule: str | None
    label: str | None
    score: float | None
    model: str | None
    observed_at: datetime
    readings: list[str]


@dataclass(frozen=True)
class Series:
    """Readings of one sensor quantity, drawn as a chart."""

    source_id: str
    name: str
    unit: str
    chart: Chart
    latest: float


@dataclass(frozen=True)
class Person:
    """A grid worker and their phone."""

    name: str
    phone: str


@dataclass(frozen=True)
class EventView:
    """Everything the event page shows."""

    detail: EventDetail
    type_name: str
    place: list[str]
    workers: list[Person]
    departments: list[str]
    responsible: str | None
    deadlines: list[DeadlineState]
    chip: Chip | None
    evidence: list[EvidenceItem]
    gallery: bool
    series: list[Series]
    history: list[HistoryOut]
    supervisions: list[SupervisionOut]
    verdicts: list[VerdictOut]
    actions: list[str]


def snapshot_url(code: str, alert: EventAlertOut) -> str:
    """The console's (session-authenticated) URL of an alert's snapshot; alert ids are unique per device."""
    return f"/events/{quote(code)}/alerts/{quote(alert.alert_id)}/snapshot?device_id={quote(alert.device_id)}"


def clip_url(code: str, alert: EventAlertOut) -> str:
    """The console's (session-authenticated) URL of an alert's evidence clip."""
    return f"/events/{quote(code)}/alerts/{quote(alert.alert_id)}/clip?device_id={quote(alert.device_id)}"


def evidence_item(code: str, alert: EventAlertOut) -> EvidenceItem:
    """An alert of the event with its snapshot URL (the console's, session-authenticated)."""
    payload = alert.payload
    label, score = best_box(payload)
    model = payload.get("model") or {}
    readings = [
        f"{r['name']}={r['value']}{r.get('unit', '')}"
        for r in (payload.get("evidence") or {}).get("readings") or []
    ]
    return EvidenceItem(
        alert_id=alert.alert_id,
        snapshot_url=snapshot_url(code, alert) if alert.evidence_url else None,
        clip_url=clip_url(code, alert) if alert.clip else None,
        source_id=alert.source_id,
        source_kind=str(payload.get("source_kind", "")),
        device_id=alert.device_id,
        kind=alert.kind,
        phase=str(payload.get("phase", "raised")),
        severity=alert.severity,
        rule=payload.get("rule"),
        label=label,
        score=score,
        model=f"{model['name']} {model.get('version', '')}".strip() if model else None,
        observed_at=alert.observed_at,
        readings=readings,
    )


def series_of(points: list[ReadingPoint], marks: list[datetime]) -> list[Series]:
    """One chart per (sensor, quantity) with at least one numeric reading."""
    key = lambda p: (p.source_id, p.name)  # noqa: E731
    charts = []
    for (source_id, name), group in groupby(sorted(points, key=key), key=key):
        items = sorted(group, key=lambda p: p.at)
        values = [(p.at, p.value) for p in items]
        charts.append(
            Series(source_id, name, items[-1].unit, line_chart(values, marks=marks), items[-1].value)
        )
    return charts


def build_event(
    *,
    detail: EventDetail,
    nodes: Mapping[str, Grid],
    readings: list[ReadingPoint],
    principal: Principal,
    t: Translator,
    types: Mapping[str, str],
    now: datetime,
) -> EventView:
    """The event page for `detail`; `nodes` are the grid nodes on its path."""
    event = detail.event
    codes = [c for c in event.grid_path.split("/") if c]
    cell = nodes.get(event.cell_code or "")
    departments = list(dict.fromkeys(d for c in reversed(codes) if c in nodes for d in nodes[c].departments))
    open_ = event.status in OPEN_STATUSES
    deadlines = Deadlines(event.ack_due, event.feedback_due, event.resolution_due)
    milestones = Milestones(event.acknowledged_at, event.in_progress_at, event.resolved_at)
    evidence = [evidence_item(event.code, a) for a in detail.alerts]
    sensor_marks = [a.observed_at for a in detail.alerts if a.payload.get("source_kind") == "sensor"]
    responsible = nodes.get(event.responsible_grid or "")
    return EventView(
        detail=detail,
        type_name=type_name(t, types, event.type_code),
        place=place_of(event.grid_path, {c: n.name for c, n in nodes.items()}),
        workers=[Person(w.get("name", ""), w.get("phone", "")) for w in (cell.workers if cell else [])],
        departments=departments,
        responsible=responsible.name if responsible else event.responsible_grid,
        deadlines=deadline_states(deadlines, milestones, open_=open_, now=now),
        chip=next_chip(event.created_at, deadlines, milestones, open_=open_, now=now),
        evidence=evidence,
        gallery=len(evidence) > GALLERY_AFTER,
        series=series_of(readings, sensor_marks),
        history=detail.history,
        supervisions=detail.supervisions,
        verdicts=[v for v in detail.verdicts if v.withdrawn_at is None],
        actions=[a.value for a in detail.allowed_actions if may_act(principal.role, a)],
    )
