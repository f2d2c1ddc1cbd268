"""Quality from operator verdicts: alerts, confirmed, false alarms (by reason) and precision over
7/30 days per camera, rule and model — SQL GROUP BYs over the alerts of events in the scope — and,
for the noisiest cameras, suggestions computed from their judged alerts (api/logic/quality.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func
from sqlalchemy.orm import Session

from api.logic.verdicts import FalseAlarm, VerdictKind
from api.orm import AlertRow, AlertVerdict
from api.services.principals import Principal
from api.services.quality_query import confirmed_clause, judged
from api.services.quality_schema import CameraQuality, Quality, QualityRow, Window
from api.services.quality_suggest import suggest

WINDOWS = (7, 30)
SUGGEST_FOR = 20
"""Suggestions are computed for this many of the noisiest cameras."""


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _rows(session: Session, principal: Principal, now: datetime, keys: list[Any]) -> list[QualityRow]:
    query, events = judged(principal, now - timedelta(days=max(WINDOWS)))
    is_false = AlertVerdict.verdict == VerdictKind.FALSE_ALARM.value
    ok = confirmed_clause(events)
    columns: list[Any] = []
    for days in WINDOWS:
        recent = AlertRow.received_at >= now - timedelta(days=days)
        columns += [_count(recent), _count(and_(recent, ok)), _count(and_(recent, is_false))]
    columns += [_count(AlertVerdict.false_alarm == reason.value) for reason in FalseAlarm]
    grouped = query.with_only_columns(*keys, *columns).group_by(*keys)
    return [
        _row(row[: len(keys)], [int(v or 0) for v in row[len(keys) :]]) for row in session.execute(grouped)
    ]


def _row(key: tuple[Any, ...], numbers: list[int]) -> QualityRow:
    windows = [
        Window(
            days=days,
            alerts=a,
            confirmed=c,
            false_alarms=f,
            precision=round(c / (c + f), 4) if c + f else None,
        )
        for days, (a, c, f) in zip(WINDOWS, (numbers[0:3], numbers[3:6]), strict=True)
    ]
    reasons = {reason.value: n for reason, n in zip(FalseAlarm, numbers[6:], strict=True) if n}
    name = "/".join(str(k) if k is not None else "-" for k in key)
    ids = {"device_id": key[0], "source_id": key[1]} if len(key) == 2 else {}
    return QualityRow(
        key=name, last_7d=windows[0], last_30d=windows[1], false_alarms_by_reason=reasons, **ids
    )


def _noisiest(row: QualityRow) -> tuple[int, float, str]:
    precision = row.last_30d.precision
    return (-row.last_30d.false_alarms, precision if precision is not None else 1.0, row.key)


def compute_quality(*, session: Session, principal: Principal, now: datetime) -> Quality:
    """Per camera, rule and model, noisiest first; suggestions for the noisiest cameras."""
    rule = AlertRow.payload["rule"].as_string()
    model = AlertRow.payload[("model", "name")].as_string()
    cameras = sorted(_rows(session, principal, now, [AlertRow.device_id, AlertRow.source_id]), key=_noisiest)
    with_tips = [
        CameraQuality(**row.model_dump()) if i >= SUGGEST_FOR or not row.last_30d.false_alarms
        else CameraQuality(**row.model_dump(), **suggest(session, principal, row, now - timedelta(days=30)))
        for i, row in enumerate(cameras)
    ]  # fmt: skip
    return Quality(
        as_of=now,
        cameras=with_tips,
        rules=sorted(_rows(session, principal, now, [rule]), key=_noisiest),
        models=sorted(_rows(session, principal, now, [model]), key=_noisiest),
    )
