"""What the edge config says about each sensor: where it is and what counts as an alert.

Example (the ``sensors`` list of the edge YAML; configs/edge.sensors.example.yaml has more):

    - id: wl-river-01
      kind: water_level
      location: {lon: 118.703, lat: 32.003}
      heartbeat_s: 60                      # device_offline after 3 × 60 s without any message
      threshold: {above: 1.2, clear_below: 1.1, min_duration_s: 30}
      rate_of_rise: {per_minute: 0.05, window_s: 300}
      battery_low: {below: 15, clear_above: 20}
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from gridwatch.contracts.alert import Identifier, Location, Severity
from gridwatch.strict import Strict
from ingest.mqtt.readings import SensorKind

FLAG_KINDS = frozenset({SensorKind.SMOKE, SensorKind.DOOR, SensorKind.MANHOLE})
"""Kinds whose readings carry an alarm-like flag (smoke alarm, door open, lid open)."""

VALUE_KINDS = frozenset(
    {SensorKind.SMOKE, SensorKind.WATER_LEVEL, SensorKind.GAS, SensorKind.TEMPERATURE, SensorKind.MANHOLE}
)
"""Kinds whose readings carry a number that thresholds and rates apply to."""


class ThresholdConfig(Strict):
    """A level with hysteresis: raise past one value (held for a while), clear only past another.

    Either ``above`` + ``clear_below`` (high water, gas) or ``below`` + ``clear_above`` (low battery).

    Example:
        >>> ThresholdConfig(above=1.2, clear_below=1.1, min_duration_s=30).direction
        'above'
    """

    above: float | None = Field(default=None, description="Raise when the value is above this")
    clear_below: float | None = Field(default=None, description="With above: clear only below this")
    below: float | None = Field(default=None, description="Raise when the value is below this")
    clear_above: float | None = Field(default=None, description="With below: clear only above this")
    min_duration_s: float = Field(default=0.0, ge=0, description="The value must stay past it this long")
    severity: Severity | None = Field(default=None, description="Alert severity; default by sensor kind")

    @model_validator(mode="after")
    def _one_direction(self) -> Self:
        if self.above is not None and self.clear_below is not None and self.below is None:
            if self.clear_below > self.above:
                raise ValueError(f"clear_below ({self.clear_below}) must not be above above ({self.above})")
            return self
        if self.below is not None and self.clear_above is not None and self.above is None:
            if self.clear_above < self.below:
                raise ValueError(f"clear_above ({self.clear_above}) must not be below below ({self.below})")
            return self
        raise ValueError("a threshold is either {above, clear_below} or {below, clear_above}")

    @property
    def direction(self) -> Literal["above", "below"]:
        """Which side of the level raises the alert."""
        return "above" if self.above is not None else "below"

    def past(self, value: float) -> bool:
        """True when ``value`` is past the raising level."""
        return value > self.above if self.above is not None else value < (self.below or 0.0)

    def cleared(self, value: float) -> bool:
        """True when ``value`` is past the clearing level (hysteresis)."""
        if self.clear_below is not None:
            return value < self.clear_below
        return value > (self.clear_above or 0.0)


class RateOfRiseConfig(Strict):
    """A value rising fast: the rise per minute over a window of recent readings."""

    per_minute: float = Field(gt=0, description="Raise when the value rises at least this much a minute")
    clear_per_minute: float | None = Field(
        default=None, description="Clear when the rise slows to this or less; default half of per_minute"
    )
    window_s: float = Field(default=300.0, gt=0, description="Readings this recent form the rate")
    min_span_s: float | None = Field(
        default=None, gt=0, description="Need readings this far apart first; default half of window_s"
    )
    severity: Severity | None = Field(default=None, description="Alert severity; default by sensor kind")

    @property
    def clear_at(self) -> float:
        """Rise per minute at or below which an episode ends."""
        return self.per_minute / 2 if self.clear_per_minute is None else self.clear_per_minute

    @property
    def span_s(self) -> float:
        """Shortest stretch of readings a rate is computed over."""
        return self.window_s / 2 if self.min_span_s is None else self.min_span_s


class FlagConfig(Strict):
    """Smoke alarm, door open, manhole lid open: the device's own flag raises the alert."""

    enabled: bool = Field(default=True, description="Raise alerts on the flag")
    min_duration_s: float = Field(default=0.0, ge=0, description="The flag must stay set this long")
    severity: Severity | None = Field(default=None, description="Alert severity; default by sensor kind")


class SensorConfig(Strict):
    """One sensor beside this box: its id and kind, where it is, and its rules."""

    id: Identifier = Field(description="Sensor id; also the topic level <prefix>/<id>/<kind>")
    kind: SensorKind = Field(description="What it measures (smoke, water_level, gas, door, ...)")
    location: Location = Field(description="Where the sensor is (WGS-84); its alerts are placed there")
    heartbeat_s: float | None = Field(
        default=None, gt=0, description="How often it reports (any message counts); None: never offline"
    )
    offline_after_s: float | None = Field(
        default=None, gt=0, description="Silence that makes it device_offline; default 3 × heartbeat_s"
    )
    threshold: ThresholdConfig | None = Field(default=None, description="Level with hysteresis")
    rate_of_rise: RateOfRiseConfig | None = Field(default=None, description="Fast rise of the value")
    flag: FlagConfig = Field(default_factory=FlagConfig, description="Smoke/door/manhole: the device's flag")
    battery_low: ThresholdConfig | None = Field(default=None, description="Battery %: {below, clear_above}")
    offline_severity: Severity = Field(default=Severity.MEDIUM, description="Severity of device_offline")

    @model_validator(mode="after")
    def _rules_fit_kind(self) -> Self:
        if self.kind in (SensorKind.HEARTBEAT, SensorKind.BATTERY):
            raise ValueError(f"kind {self.kind.value!r} is a message every sensor sends, not a sensor kind")
        numeric = self.threshold is not None or self.rate_of_rise is not None
        if numeric and self.kind not in VALUE_KINDS:
            raise ValueError(f"a {self.kind.value} sensor has no value for threshold or rate_of_rise")
        if self.battery_low is not None and self.battery_low.direction != "below":
            raise ValueError("battery_low must be {below, clear_above}")
        if self.offline_after_s is not None and self.heartbeat_s is None:
            raise ValueError("offline_after_s needs heartbeat_s")
        return self

    @property
    def silence_limit_s(self) -> float | None:
        """Seconds without any message after which the sensor is offline; None: never."""
        if self.heartbeat_s is None:
            return None
        return self.offline_after_s if self.offline_after_s is not None else 3 * self.heartbeat_s
