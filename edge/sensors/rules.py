"""Sensor rules: thresholds with hysteresis, rate of rise, device flags, silence → device_offline.

Each rule looks at one sensor's readings and returns a ``EpisodeChange`` when an episode is raised or
cleared, never one per reading. Durations use the reading's time (the device's, else arrival);
silence uses arrival times and the wall clock, so a device with a wrong clock still goes offline.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from edge.config import FlagConfig, RateOfRiseConfig, ThresholdConfig
from edge.sensors.alerts import ALERT_KIND, EpisodeChange, evidence_of
from edge.sensors.episode import Episode
from gridwatch.contracts.alert import AlertKind, AlertPhase, Details, Reading, Severity
from ingest.mqtt.readings import SensorKind, SensorReading


def _change(
    rule: str, kind: AlertKind, phase: AlertPhase, episode: Episode, reading: SensorReading,
    severity: Severity | None, details: Details,
) -> EpisodeChange:  # fmt: skip
    start = episode.started_at or reading.at
    return EpisodeChange(rule, kind, phase, reading.at, start, severity, evidence_of(reading), details)


class ThresholdRule:
    """A value past a level for ``min_duration_s`` raises; only the clear level ends it.

    Example:
        >>> rule = ThresholdRule(ThresholdConfig(above=1.2, clear_below=1.1), SensorKind.WATER_LEVEL)
        >>> rule.evaluate(reading_of(1.3)).phase
        <AlertPhase.RAISED: 'raised'>
    """

    def __init__(self, config: ThresholdConfig, kind: SensorKind, *, name: str = "threshold") -> None:
        self.config = config
        self.kind = kind
        self.name = name
        self.episode = Episode(config.min_duration_s)

    def evaluate(self, reading: SensorReading) -> EpisodeChange | None:
        """The episode change this reading causes, if any."""
        value = reading.value
        if reading.kind is not self.kind or value is None:
            return None
        c = self.config
        condition, clear = c.past(value), c.cleared(value)
        phase = self.episode.update(condition=condition, clear=clear, at=reading.at)
        if phase is None:
            return None
        details: Details = {"value": value, "unit": reading.unit}
        details.update({k: v for k, v in c.model_dump(exclude={"severity"}).items() if v is not None})
        return _change(self.name, ALERT_KIND[self.kind], phase, self.episode, reading, c.severity, details)


class RateOfRiseRule:
    """The value rising at least ``per_minute`` over the recent window raises; slowing down clears."""

    def __init__(self, config: RateOfRiseConfig, kind: SensorKind) -> None:
        self.config = config
        self.kind = kind
        self.episode = Episode()
        self._window: deque[tuple[float, float]] = deque()  # (epoch seconds, value)

    def evaluate(self, reading: SensorReading) -> EpisodeChange | None:
        """The episode change this reading causes, if any."""
        value = reading.value
        if reading.kind is not self.kind or value is None:
            return None
        rate = self._rate(reading.at, value)
        if rate is None:
            return None
        phase = self.episode.update(
            condition=rate >= self.config.per_minute, clear=rate <= self.config.clear_at, at=reading.at
        )
        if phase is None:
            return None
        details: Details = {"rise_per_minute": round(rate, 6), "per_minute": self.config.per_minute}
        kind = ALERT_KIND[self.kind]
        return _change("rate_of_rise", kind, phase, self.episode, reading, self.config.severity, details)

    def _rate(self, at: datetime, value: float) -> float | None:
        now = at.timestamp()
        self._window.append((now, value))
        horizon = now - self.config.window_s
        while self._window[0][0] < horizon:
            self._window.popleft()
        first_at, first_value = self._window[0]
        span = now - first_at
        if span < self.config.span_s:
            return None
        return (value - first_value) / span * 60


class FlagRule:
    """The device's own flag (smoke alarm, door open, lid open) raises; the flag going off clears."""

    def __init__(self, config: FlagConfig, kind: SensorKind) -> None:
        self.config = config
        self.kind = kind
        self.episode = Episode(config.min_duration_s)

    def evaluate(self, reading: SensorReading) -> EpisodeChange | None:
        """The episode change this reading causes, if any."""
        flag = reading.flag
        if reading.kind is not self.kind or flag is None or not self.config.enabled:
            return None
        phase = self.episode.update(condition=flag, clear=not flag, at=reading.at)
        if phase is None:
            return None
        kind = ALERT_KIND[self.kind]
        return _change("flag", kind, phase, self.episode, reading, self.config.severity, {"flag": flag})


class SilenceWatch:
    """No message at all for ``limit_s`` → device_offline; the next message clears it."""

    def __init__(self, limit_s: float, severity: Severity, *, started_at: datetime) -> None:
        self.limit = timedelta(seconds=limit_s)
        self.severity = severity
        self.last_seen = started_at
        self.offline_since: datetime | None = None

    def seen(self, reading: SensorReading) -> EpisodeChange | None:
        """A message arrived; clears an offline episode."""
        self.last_seen = max(self.last_seen, reading.received_at)
        if self.offline_since is None:
            return None
        start, self.offline_since = self.offline_since, None
        return self._change(AlertPhase.CLEARED, reading.received_at, start)

    def check(self, now: datetime) -> EpisodeChange | None:
        """Raise once when the silence has lasted ``limit_s``."""
        if self.offline_since is not None or now - self.last_seen < self.limit:
            return None
        self.offline_since = self.last_seen + self.limit
        return self._change(AlertPhase.RAISED, now, self.offline_since)

    def _change(self, phase: AlertPhase, at: datetime, start: datetime) -> EpisodeChange:
        evidence = [Reading(name="last_seen", value=self.last_seen.isoformat(), at=self.last_seen)]
        details: Details = {"silence_limit_s": self.limit.total_seconds()}
        return EpisodeChange(
            "heartbeat", AlertKind.DEVICE_OFFLINE, phase, at, start, self.severity, evidence, details
        )
