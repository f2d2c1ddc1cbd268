"""Typed sensor readings, one class per kind, each with its device (or arrival) time and units.

A reading is parsed once where it enters (``ingest.mqtt.payload``) and trusted after that. Every
reading exposes ``value`` (its main number, in ``unit``) and ``flag`` (an alarm-like state) so rules
can treat kinds alike; both are None where a kind has no such thing.

Example:
    >>> r = WaterLevelReading(sensor_id="wl-1", at=now, received_at=now, device_time=False, metres=1.3)
    >>> r.kind, r.value, r.unit
    (<SensorKind.WATER_LEVEL: 'water_level'>, 1.3, 'm')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar


class SensorKind(StrEnum):
    """What a sensor measures; also the last level of its topic."""

    SMOKE = "smoke"
    WATER_LEVEL = "water_level"
    GAS = "gas"
    DOOR = "door"
    TEMPERATURE = "temperature"
    MANHOLE = "manhole"
    BATTERY = "battery"
    HEARTBEAT = "heartbeat"


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorReading:
    """What every reading has: who, when (device clock when it sent one) and when it arrived."""

    kind: ClassVar[SensorKind]
    unit: ClassVar[str] = ""

    sensor_id: str
    at: datetime
    received_at: datetime
    device_time: bool

    @property
    def value(self) -> float | None:
        """The main measured number, in ``unit``; None for kinds without one."""
        return None

    @property
    def flag(self) -> bool | None:
        """The alarm-like state (smoke alarm, door or lid open); None for kinds without one."""
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokeReading(SensorReading):
    """A smoke detector: its alarm flag and, when it reports one, the obscuration in %/m."""

    kind: ClassVar[SensorKind] = SensorKind.SMOKE
    unit: ClassVar[str] = "%/m"
    alarm: bool
    obscuration: float | None = None

    @property
    def value(self) -> float | None:
        return self.obscuration

    @property
    def flag(self) -> bool | None:
        return self.alarm


@dataclass(frozen=True, slots=True, kw_only=True)
class WaterLevelReading(SensorReading):
    """A water level gauge, in metres."""

    kind: ClassVar[SensorKind] = SensorKind.WATER_LEVEL
    unit: ClassVar[str] = "m"
    metres: float

    @property
    def value(self) -> float | None:
        return self.metres


@dataclass(frozen=True, slots=True, kw_only=True)
class GasReading(SensorReading):
    """A gas detector, in parts per million."""

    kind: ClassVar[SensorKind] = SensorKind.GAS
    unit: ClassVar[str] = "ppm"
    ppm: float

    @property
    def value(self) -> float | None:
        return self.ppm


@dataclass(frozen=True, slots=True, kw_only=True)
class DoorReading(SensorReading):
    """A door contact: open or closed."""

    kind: ClassVar[SensorKind] = SensorKind.DOOR
    open: bool

    @property
    def flag(self) -> bool | None:
        return self.open


@dataclass(frozen=True, slots=True, kw_only=True)
class TemperatureReading(SensorReading):
    """A thermometer, in degrees Celsius."""

    kind: ClassVar[SensorKind] = SensorKind.TEMPERATURE
    unit: ClassVar[str] = "°C"
    celsius: float

    @property
    def value(self) -> float | None:
        return self.celsius


@dataclass(frozen=True, slots=True, kw_only=True)
class ManholeReading(SensorReading):
    """A manhole cover: its tilt in degrees and whether it is open."""

    kind: ClassVar[SensorKind] = SensorKind.MANHOLE
    unit: ClassVar[str] = "°"
    tilt: float
    open: bool

    @property
    def value(self) -> float | None:
        return self.tilt

    @property
    def flag(self) -> bool | None:
        return self.open


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryReading(SensorReading):
    """A sensor's battery charge, in percent."""

    kind: ClassVar[SensorKind] = SensorKind.BATTERY
    unit: ClassVar[str] = "%"
    percent: float

    @property
    def value(self) -> float | None:
        return self.percent


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat(SensorReading):
    """A sign of life with no measurement."""

    kind: ClassVar[SensorKind] = SensorKind.HEARTBEAT
