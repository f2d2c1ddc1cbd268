"""All sensor rules of one edge box: readings in, alerts out (one per episode change)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime

from edge.config.sensors import FLAG_KINDS, SensorConfig
from edge.sensors.alerts import EpisodeChange, make_alert
from edge.sensors.rules import FlagRule, RateOfRiseRule, SilenceWatch, ThresholdRule
from gridwatch.contracts.alert import Alert
from ingest.mqtt.readings import SensorKind, SensorReading

logger = logging.getLogger(__name__)

SensorRule = ThresholdRule | RateOfRiseRule | FlagRule


def rules_for(sensor: SensorConfig) -> list[SensorRule]:
    """The rules a sensor's config asks for."""
    rules: list[SensorRule] = []
    if sensor.threshold is not None:
        rules.append(ThresholdRule(sensor.threshold, sensor.kind))
    if sensor.rate_of_rise is not None:
        rules.append(RateOfRiseRule(sensor.rate_of_rise, sensor.kind))
    if sensor.kind in FLAG_KINDS:
        rules.append(FlagRule(sensor.flag, sensor.kind))
    if sensor.battery_low is not None:
        rules.append(ThresholdRule(sensor.battery_low, SensorKind.BATTERY, name="battery_low"))
    return rules


class SensorEngine:
    """Evaluate readings against each sensor's rules; thread-safe (feed thread + silence ticker).

    Example:
        >>> engine = SensorEngine("edge-01", [sensor], started_at=now)
        >>> engine.evaluate(reading)      # [] or [Alert(phase=raised, ...)]
        >>> engine.check_silence(now)     # device_offline alerts for sensors gone quiet
    """

    def __init__(self, device_id: str, sensors: Sequence[SensorConfig], *, started_at: datetime) -> None:
        self.device_id = device_id
        self.sensors = {sensor.id: sensor for sensor in sensors}
        self._rules = {sensor.id: rules_for(sensor) for sensor in sensors}
        self._watches = {
            sensor.id: SilenceWatch(sensor.silence_limit_s, sensor.offline_severity, started_at=started_at)
            for sensor in sensors
            if sensor.silence_limit_s is not None
        }
        self._lock = threading.Lock()
        self.last_message: dict[str, datetime] = {}
        """When each sensor's latest reading arrived (the heartbeat reports it)."""

    @property
    def kinds(self) -> dict[str, SensorKind]:
        """Sensor id → kind, what the payload parser needs to know."""
        return {sensor.id: sensor.kind for sensor in self.sensors.values()}

    def evaluate(self, reading: SensorReading) -> list[Alert]:
        """Alerts for the episodes this reading raises or clears (usually none)."""
        sensor = self.sensors[reading.sensor_id]
        with self._lock:
            self.last_message[sensor.id] = reading.received_at
            watch = self._watches.get(sensor.id)
            changes = [watch.seen(reading)] if watch is not None else []
            changes += [rule.evaluate(reading) for rule in self._rules[sensor.id]]
        return self._alerts(sensor, changes)

    def check_silence(self, now: datetime) -> list[Alert]:
        """device_offline alerts for sensors silent longer than their limit (once per silence)."""
        alerts: list[Alert] = []
        with self._lock:
            for sensor_id, watch in self._watches.items():
                alerts += self._alerts(self.sensors[sensor_id], [watch.check(now)])
        return alerts

    def _alerts(self, sensor: SensorConfig, changes: Sequence[EpisodeChange | None]) -> list[Alert]:
        alerts = [make_alert(self.device_id, sensor, change) for change in changes if change is not None]
        for alert in alerts:
            logger.info("sensor %s: %s %s (%s)", sensor.id, alert.kind.value, alert.phase.value, alert.rule)
        return alerts
