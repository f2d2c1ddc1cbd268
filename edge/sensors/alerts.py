"""Build sensor alerts on the shared alert contract, with ids that a replayed reading reproduces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from edge.config import SensorConfig
from gridwatch.contracts.alert import (
    Alert,
    AlertKind,
    AlertPhase,
    Details,
    Evidence,
    Reading,
    Severity,
    SourceKind,
    make_alert_id,
)
from ingest.mqtt.readings import SensorKind, SensorReading

DEFAULT_SEVERITY: dict[AlertKind, Severity] = {
    AlertKind.SMOKE: Severity.CRITICAL,
    AlertKind.GAS: Severity.HIGH,
    AlertKind.WATER_LEVEL: Severity.HIGH,
    AlertKind.MANHOLE: Severity.HIGH,
    AlertKind.DOOR: Severity.MEDIUM,
    AlertKind.TEMPERATURE: Severity.MEDIUM,
    AlertKind.BATTERY: Severity.LOW,
    AlertKind.DEVICE_OFFLINE: Severity.MEDIUM,
}

ALERT_KIND: dict[SensorKind, AlertKind] = {
    SensorKind.SMOKE: AlertKind.SMOKE,
    SensorKind.WATER_LEVEL: AlertKind.WATER_LEVEL,
    SensorKind.GAS: AlertKind.GAS,
    SensorKind.DOOR: AlertKind.DOOR,
    SensorKind.TEMPERATURE: AlertKind.TEMPERATURE,
    SensorKind.MANHOLE: AlertKind.MANHOLE,
    SensorKind.BATTERY: AlertKind.BATTERY,
}


@dataclass(frozen=True)
class EpisodeChange:
    """One episode starting or ending: what rule, which phase, when, and what backs it up."""

    rule: str
    kind: AlertKind
    phase: AlertPhase
    at: datetime
    episode_start: datetime
    severity: Severity | None
    readings: list[Reading] = field(default_factory=list)
    details: Details = field(default_factory=dict)


def evidence_of(reading: SensorReading) -> list[Reading]:
    """The reading as alert evidence: its value and/or flag with units and time."""
    items: list[Reading] = []
    if reading.value is not None:
        items.append(Reading(name=reading.kind.value, value=reading.value, unit=reading.unit, at=reading.at))
    if reading.flag is not None:
        name = "alarm" if reading.kind is SensorKind.SMOKE else "open"
        items.append(Reading(name=name, value=reading.flag, at=reading.at))
    return items


def make_alert(device_id: str, sensor: SensorConfig, change: EpisodeChange) -> Alert:
    """The alert of one episode change; its id depends only on sensor, rule, phase and episode start."""
    key = (sensor.id, change.rule, change.phase.value, change.episode_start.isoformat())
    return Alert(
        alert_id=make_alert_id(sensor.id, *key),
        device_id=device_id,
        source_id=sensor.id,
        source_kind=SourceKind.SENSOR,
        kind=change.kind,
        phase=change.phase,
        severity=change.severity or DEFAULT_SEVERITY[change.kind],
        observed_at=change.at,
        location=sensor.location,
        rule=change.rule,
        evidence=Evidence(readings=change.readings),
        details={"episode_start": change.episode_start.isoformat(), **change.details},
    )
