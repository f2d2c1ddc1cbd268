"""Turn one MQTT message (topic + bytes) into a typed reading, or say exactly why not.

Topics are ``<prefix>/<sensor_id>/<kind>``; a sensor may publish its own kind, ``battery`` and
``heartbeat``. Payloads are JSON objects; fields by kind (``unit`` optional, converted when given):

- smoke ``{"alarm": true, "obscuration": 3.1}`` (%/m, optional)
- water_level ``{"value": 1.23, "unit": "m"}`` (m, cm or mm); gas ``{"value": 35}`` (ppm)
- temperature ``{"value": 21.5}`` (°C); battery ``{"value": 87}`` (%)
- door ``{"state": "open"}``; manhole ``{"tilt": 12.5, "open": false}``; heartbeat ``{}``

Every kind may carry ``ts``: ISO 8601 with a timezone, or epoch seconds (milliseconds when > 1e11).
Without it the arrival time is used. Unknown extra fields are ignored (devices add rssi and such).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ingest.mqtt.errors import PayloadError
from ingest.mqtt.readings import (
    BatteryReading,
    DoorReading,
    GasReading,
    Heartbeat,
    ManholeReading,
    SensorKind,
    SensorReading,
    SmokeReading,
    TemperatureReading,
    WaterLevelReading,
)

ALWAYS_ACCEPTED = frozenset({SensorKind.BATTERY, SensorKind.HEARTBEAT})
"""Kinds every sensor may publish besides its own."""

MAX_FUTURE = timedelta(minutes=10)
OLDEST = datetime(2000, 1, 1, tzinfo=UTC)
UNITS: dict[SensorKind, dict[str, float]] = {
    SensorKind.WATER_LEVEL: {"m": 1.0, "cm": 0.01, "mm": 0.001},
    SensorKind.GAS: {"ppm": 1.0},
    SensorKind.TEMPERATURE: {"°C": 1.0, "C": 1.0, "degC": 1.0},
    SensorKind.BATTERY: {"%": 1.0},
}


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True, allow_inf_nan=False)

    ts: str | float | None = None


class _Smoke(_Payload):
    alarm: bool
    obscuration: float | None = Field(default=None, ge=0, le=100)


class _Numeric(_Payload):
    value: float
    unit: str | None = None


class _Door(_Payload):
    state: Literal["open", "closed"]


class _Manhole(_Payload):
    tilt: float = Field(ge=0, le=180)
    open: bool


Builder = Callable[[Any, dict[str, Any]], SensorReading]


def _numeric(kind: SensorKind, field: str, low: float, high: float) -> tuple[type[_Payload], Builder]:
    def build(body: _Numeric, common: dict[str, Any]) -> SensorReading:
        units = UNITS[kind]
        if body.unit is not None and body.unit not in units:
            raise PayloadError(f"unit: {body.unit!r} is not one of {sorted(units)} for {kind.value}")
        value = body.value * units[body.unit or next(iter(units))]
        if not low <= value <= high:
            raise PayloadError(f"value: {body.value} is outside [{low}, {high}] for {kind.value}")
        fields: dict[str, Any] = {**common, field: value}
        return READING_TYPES[kind](**fields)

    return _Numeric, build


READING_TYPES: dict[SensorKind, type[SensorReading]] = {
    SensorKind.WATER_LEVEL: WaterLevelReading,
    SensorKind.GAS: GasReading,
    SensorKind.TEMPERATURE: TemperatureReading,
    SensorKind.BATTERY: BatteryReading,
}

SCHEMAS: dict[SensorKind, tuple[type[_Payload], Builder]] = {
    SensorKind.SMOKE: (_Smoke, lambda b, c: SmokeReading(**c, alarm=b.alarm, obscuration=b.obscuration)),
    SensorKind.WATER_LEVEL: _numeric(SensorKind.WATER_LEVEL, "metres", -100.0, 1000.0),
    SensorKind.GAS: _numeric(SensorKind.GAS, "ppm", 0.0, 1_000_000.0),
    SensorKind.TEMPERATURE: _numeric(SensorKind.TEMPERATURE, "celsius", -80.0, 1000.0),
    SensorKind.BATTERY: _numeric(SensorKind.BATTERY, "percent", 0.0, 100.0),
    SensorKind.DOOR: (_Door, lambda b, c: DoorReading(**c, open=b.state == "open")),
    SensorKind.MANHOLE: (_Manhole, lambda b, c: ManholeReading(**c, tilt=b.tilt, open=b.open)),
    SensorKind.HEARTBEAT: (_Payload, lambda _b, c: Heartbeat(**c)),
}


class PayloadParser:
    """Parse messages of the sensors this box knows.

    Example:
        >>> parser = PayloadParser({"wl-1": SensorKind.WATER_LEVEL}, topic_prefix="gridwatch/sensors")
        >>> parser.parse("gridwatch/sensors/wl-1/water_level", b'{"value": 1.3}', now).value
        1.3
    """

    def __init__(
        self, sensors: Mapping[str, SensorKind], *, topic_prefix: str, max_payload_bytes: int = 65536
    ) -> None:
        self._sensors = dict(sensors)
        self._prefix = topic_prefix.rstrip("/") + "/"
        self._max_bytes = max_payload_bytes
        self._routes = {  # every valid topic, so the common case is one dict lookup
            f"{self._prefix}{sensor_id}/{kind.value}": (sensor_id, kind)
            for sensor_id, own in self._sensors.items()
            for kind in {own, *ALWAYS_ACCEPTED}
        }

    def parse(self, topic: str, payload: bytes, received_at: datetime) -> SensorReading:
        """The reading this message carries; PayloadError naming the reason otherwise."""
        sensor_id, kind = self._routes.get(topic) or self._route(topic)
        if len(payload) > self._max_bytes:
            raise PayloadError(f"payload is {len(payload)} bytes; the limit is {self._max_bytes}")
        model, build = SCHEMAS[kind]
        try:
            body = model.model_validate_json(payload)
        except ValidationError as exc:
            raise PayloadError(_reason(exc)) from None
        at = _timestamp(body.ts, received_at)
        common = {"sensor_id": sensor_id, "at": at or received_at, "received_at": received_at}
        return build(body, {**common, "device_time": at is not None})

    def _route(self, topic: str) -> tuple[str, SensorKind]:
        """Check a topic that is not one of the valid ones; raises naming what is wrong."""
        if not topic.startswith(self._prefix):
            raise PayloadError(f"topic {topic!r} is not under {self._prefix!r}")
        parts = topic[len(self._prefix) :].split("/")
        if len(parts) != 2:
            raise PayloadError(f"topic {topic!r} is not {self._prefix}<sensor_id>/<kind>")
        sensor_id, kind_name = parts
        own = self._sensors.get(sensor_id)
        if own is None:
            raise PayloadError(f"unknown sensor {sensor_id!r}")
        try:
            kind = SensorKind(kind_name)
        except ValueError:
            raise PayloadError(f"unknown kind {kind_name!r}") from None
        if kind != own and kind not in ALWAYS_ACCEPTED:
            raise PayloadError(f"sensor {sensor_id!r} is a {own.value} sensor, not {kind.value}")
        return sensor_id, kind


def _timestamp(ts: str | float | None, received_at: datetime) -> datetime | None:
    """The device time of ``ts`` in UTC; PayloadError naming the field when it is no usable time."""
    if ts is None:
        return None
    at = _iso_time(ts) if isinstance(ts, str) else _epoch_time(ts)
    if at > received_at + MAX_FUTURE or at < OLDEST:
        raise PayloadError(f"ts: {at.isoformat()} is too far from the arrival time {received_at.isoformat()}")
    return at


def _iso_time(ts: str) -> datetime:
    try:
        at = datetime.fromisoformat(ts)
    except ValueError:
        raise PayloadError(f"ts: {ts[:40]!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise PayloadError(f"ts: {ts[:40]!r} has no timezone (add Z or +08:00)")
    try:  # year 1 east of UTC or year 9999 west of it has no UTC time a datetime can hold
        return at.astimezone(UTC)
    except OverflowError:
        raise PayloadError(f"ts: {ts[:40]!r} is out of range (years 1 to 9999 in UTC)") from None


def _epoch_time(ts: float) -> datetime:
    seconds = ts / 1000 if ts > 1e11 else ts
    if not math.isfinite(seconds) or not 0 <= seconds < 32503680000:
        raise PayloadError(f"ts: {ts} is not an epoch time")
    return datetime.fromtimestamp(seconds, UTC)


def _reason(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "payload"
    if first["type"] == "json_invalid":
        return f"not JSON: {first['msg']}"
    return f"{where}: {first['msg']} (got {first.get('input')!r:.60}); {exc.error_count()} error(s)"
