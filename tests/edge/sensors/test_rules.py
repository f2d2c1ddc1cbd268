"""Sensor rules without a broker: one alert per episode and one clear, hysteresis, durations."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from edge.config import SensorConfig
from edge.sensors import SensorEngine
from gridwatch.contracts.alert import Alert, AlertKind, AlertPhase, Severity, SourceKind
from ingest.mqtt import BatteryReading, DoorReading, SensorReading
from tests.edge.sensors.builders import RIVER, T0, at, level, smoke, water_sensor


def run(engine: SensorEngine, readings: Sequence[SensorReading]) -> list[Alert]:
    return [alert for reading in readings for alert in engine.evaluate(reading)]


def phases(alerts: list[Alert]) -> list[tuple[str, str, float]]:
    """(kind, phase, seconds after T0) of each alert."""
    return [(a.kind.value, a.phase.value, (a.observed_at - T0).total_seconds()) for a in alerts]


def test_normal_levels_raise_nothing() -> None:
    engine = SensorEngine("edge-1", [water_sensor()], started_at=T0)
    assert run(engine, [level(0.8 + (i % 7) / 100, i * 5) for i in range(200)]) == []


def test_a_threshold_episode_raises_once_and_clears_once_below_the_clear_level() -> None:
    engine = SensorEngine("edge-1", [water_sensor(min_duration_s=30)], started_at=T0)
    readings = [level(1.0, 0), *(level(1.25 + (i % 3) / 100, 5 + 5 * i) for i in range(20))]
    readings += [level(1.15, 110), level(1.19, 115), level(1.12, 120), level(1.05, 125), level(0.9, 130)]
    alerts = run(engine, readings)
    assert phases(alerts) == [
        ("water_level", "raised", 35),
        ("water_level", "cleared", 125),
    ]
    raised, cleared = alerts
    assert raised.source_kind is SourceKind.SENSOR
    assert (raised.severity, raised.rule, raised.location.lon) == (Severity.HIGH, "threshold", RIVER["lon"])
    assert raised.evidence.readings[0].value == pytest.approx(1.25)
    assert raised.evidence.readings[0].unit == "m"
    assert raised.details["episode_start"] == cleared.details["episode_start"] == at(5).isoformat()
    assert raised.alert_id != cleared.alert_id


def test_a_spike_shorter_than_the_minimum_duration_raises_nothing() -> None:
    engine = SensorEngine("edge-1", [water_sensor(min_duration_s=30)], started_at=T0)
    assert run(engine, [level(1.3, 0), level(1.3, 20), level(1.0, 25), level(1.3, 40), level(1.3, 65)]) == []


def test_the_same_readings_again_give_the_same_alert_ids() -> None:
    readings = [level(1.3, 0), level(1.3, 40), level(1.0, 80)]
    first = run(SensorEngine("edge-1", [water_sensor()], started_at=T0), readings)
    second = run(SensorEngine("edge-1", [water_sensor()], started_at=T0), readings)
    assert [a.alert_id for a in first] == [a.alert_id for a in second]
    assert len(first) == 2


def test_rate_of_rise_raises_on_a_fast_rise_below_the_threshold_and_clears_when_it_levels_off() -> None:
    sensor = water_sensor(rate_of_rise={"per_minute": 0.05, "window_s": 120})
    engine = SensorEngine("edge-1", [sensor], started_at=T0)
    rising = [level(0.5 + 0.002 * s, s) for s in range(0, 300, 10)]  # 0.12 m/min, stays below 1.2 m
    flat = [level(rising[-1].metres, s) for s in range(300, 600, 10)]
    alerts = run(engine, rising + flat)
    assert [(a.rule, a.phase.value) for a in alerts] == [
        ("rate_of_rise", "raised"),
        ("rate_of_rise", "cleared"),
    ]
    assert alerts[0].details["rise_per_minute"] == pytest.approx(0.12)


def test_the_smoke_alarm_flag_raises_critical_once_and_clears() -> None:
    sensor = SensorConfig.model_validate({"id": "smoke-1", "kind": "smoke", "location": RIVER})
    engine = SensorEngine("edge-1", [sensor], started_at=T0)
    alerts = run(
        engine, [smoke(False, 0), smoke(True, 10), smoke(True, 20), smoke(True, 30), smoke(False, 40)]
    )
    assert phases(alerts) == [
        ("smoke", "raised", 10),
        ("smoke", "cleared", 40),
    ]
    assert alerts[0].severity is Severity.CRITICAL


def test_a_door_held_open_raises_after_its_minimum_duration() -> None:
    sensor = SensorConfig.model_validate(
        {"id": "door-1", "kind": "door", "location": RIVER, "flag": {"min_duration_s": 60}}
    )
    engine = SensorEngine("edge-1", [sensor], started_at=T0)
    readings = [
        DoorReading(sensor_id="door-1", at=at(s), received_at=at(s), device_time=True, open=o)
        for s, o in [(0, True), (30, False), (40, True), (90, True), (100, True), (200, False)]
    ]
    assert phases(run(engine, readings)) == [
        ("door", "raised", 100),
        ("door", "cleared", 200),
    ]


def test_a_low_battery_raises_below_and_clears_above_the_recovery_level() -> None:
    sensor = water_sensor(battery_low={"below": 15, "clear_above": 20})
    engine = SensorEngine("edge-1", [sensor], started_at=T0)
    readings = [
        BatteryReading(sensor_id="wl-1", at=at(i), received_at=at(i), device_time=True, percent=p)
        for i, p in enumerate([30, 16, 14, 13, 18, 19, 21])
    ]
    alerts = run(engine, readings)
    assert [(a.kind, a.phase) for a in alerts] == [
        (AlertKind.BATTERY, AlertPhase.RAISED),
        (AlertKind.BATTERY, AlertPhase.CLEARED),
    ]
    assert alerts[0].observed_at == at(2)


def test_a_silent_sensor_goes_offline_once_and_comes_back_with_its_next_message() -> None:
    engine = SensorEngine("edge-1", [water_sensor(heartbeat_s=10)], started_at=T0)
    assert engine.evaluate(level(1.0, 5)) == []
    assert engine.check_silence(at(30)) == []
    offline = engine.check_silence(at(36))
    assert engine.check_silence(at(100)) == []
    back = engine.evaluate(level(1.0, 120))
    assert [(a.kind, a.phase) for a in offline + back] == [
        (AlertKind.DEVICE_OFFLINE, AlertPhase.RAISED), (AlertKind.DEVICE_OFFLINE, AlertPhase.CLEARED)
    ]  # fmt: skip
    assert offline[0].details["episode_start"] == at(35).isoformat()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "heartbeat"}, "not a sensor kind"),
        ({"kind": "door", "threshold": {"above": 1, "clear_below": 0.5}}, "has no value for threshold"),
        ({"threshold": {"above": 1.2, "clear_below": 1.3}}, "must not be above above"),
        ({"threshold": {"above": 1.2}}, "either {above, clear_below} or {below, clear_above}"),
        ({"battery_low": {"above": 90, "clear_below": 80}}, "battery_low must be {below, clear_above}"),
        ({"offline_after_s": 30}, "offline_after_s needs heartbeat_s"),
    ],
)
def test_sensor_configs_that_cannot_work_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        SensorConfig.model_validate({"id": "s-1", "kind": "water_level", "location": RIVER, **fields})
