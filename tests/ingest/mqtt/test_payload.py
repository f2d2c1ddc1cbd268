"""Payload parsing: every kind becomes its typed reading; everything else names its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.mqtt import PayloadError, PayloadParser, SensorKind, SensorReading

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
SENSORS = {
    "wl-1": SensorKind.WATER_LEVEL,
    "smoke-1": SensorKind.SMOKE,
    "gas-1": SensorKind.GAS,
    "door-1": SensorKind.DOOR,
    "temp-1": SensorKind.TEMPERATURE,
    "mh-1": SensorKind.MANHOLE,
}
PARSER = PayloadParser(SENSORS, topic_prefix="gridwatch/sensors", max_payload_bytes=4096)


def parse(sensor: str, kind: str, payload: bytes) -> SensorReading:
    return PARSER.parse(f"gridwatch/sensors/{sensor}/{kind}", payload, NOW)


@pytest.mark.parametrize(
    ("sensor", "kind", "payload", "value", "flag", "unit"),
    [
        ("wl-1", "water_level", b'{"value": 1.25}', 1.25, None, "m"),
        ("wl-1", "water_level", b'{"value": 125, "unit": "cm"}', 1.25, None, "m"),
        ("smoke-1", "smoke", b'{"alarm": true, "obscuration": 4.5}', 4.5, True, "%/m"),
        ("smoke-1", "smoke", b'{"alarm": false}', None, False, "%/m"),
        ("gas-1", "gas", b'{"value": 35, "rssi": -70}', 35.0, None, "ppm"),
        ("door-1", "door", b'{"state": "open"}', None, True, ""),
        ("temp-1", "temperature", b'{"value": -3.5, "unit": "C"}', -3.5, None, "°C"),
        ("mh-1", "manhole", b'{"tilt": 12.0, "open": false}', 12.0, False, "°"),
        ("mh-1", "battery", b'{"value": 81}', 81.0, None, "%"),
        ("door-1", "heartbeat", b"{}", None, None, ""),
    ],
)
def test_each_kind_parses_to_its_typed_reading(
    sensor: str, kind: str, payload: bytes, value: float | None, flag: bool | None, unit: str
) -> None:
    reading = parse(sensor, kind, payload)
    assert (reading.sensor_id, reading.kind.value) == (sensor, kind)
    assert (reading.value, reading.flag, reading.unit) == (value, flag, unit)
    assert (reading.at, reading.device_time) == (NOW, False)


@pytest.mark.parametrize(
    "ts",
    ["2026-11-21T03:59:00Z", "2026-11-21T11:59:00+08:00", 1795233540, 1795233540000],
)
def test_device_time_is_used_when_given(ts: str | int) -> None:
    payload = f'{{"value": 1.0, "ts": {ts!r}}}'.replace("'", '"').encode()
    reading = parse("wl-1", "water_level", payload)
    assert reading.device_time
    assert reading.at == datetime(2026, 11, 21, 3, 59, tzinfo=UTC)
    assert reading.received_at == NOW


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("gridwatch/sensors/wl-1/water_level", b"not json", "not JSON"),
        ("gridwatch/sensors/wl-1/water_level", b'{"value": "1.2"}', "value: Input should be a valid number"),
        ("gridwatch/sensors/wl-1/water_level", b'{"value": true}', "value: Input should be a valid number"),
        ("gridwatch/sensors/wl-1/water_level", b'{"level": 1.2}', "value: Field required"),
        ("gridwatch/sensors/wl-1/water_level", b"[1.2]", "payload: Input should be an object"),
        ("gridwatch/sensors/wl-1/water_level", b'{"value": 1, "unit": "ft"}', "unit: 'ft' is not one of"),
        ("gridwatch/sensors/wl-1/water_level", b'{"value": 1, "ts": "yesterday"}', "is not an ISO 8601"),
        ("gridwatch/sensors/wl-1/water_level", b'{"value": 1, "ts": "2026-11-21T03:00:00"}', "no timezone"),
        ("gridwatch/sensors/wl-1/water_level", b'{"value": 1, "ts": 4102444800}', "too far from the arrival"),
        (
            "gridwatch/sensors/gas-1/gas",
            b'{"value": 80, "ts": "0001-01-01T00:00:00+08:00"}',
            "ts: '0001-01-01T00:00:00+08:00' is out of range",
        ),
        (
            "gridwatch/sensors/gas-1/gas",
            b'{"value": 80, "ts": "9999-12-31T23:59:59-12:00"}',
            "ts: '9999-12-31T23:59:59-12:00' is out of range",
        ),
        ("gridwatch/sensors/gas-1/gas", b'{"value": 80, "ts": "0001-01-01T00:00:00Z"}', "ts: 0001-01-01"),
        ("gridwatch/sensors/nobody/water_level", b'{"value": 1}', "unknown sensor 'nobody'"),
        ("gridwatch/sensors/wl-1/radiation", b'{"value": 1}', "unknown kind 'radiation'"),
        ("gridwatch/sensors/wl-1/gas", b'{"value": 1}', "is a water_level sensor, not gas"),
        ("gridwatch/sensors/wl-1", b'{"value": 1}', "is not gridwatch/sensors/<sensor_id>/<kind>"),
        ("other/wl-1/water_level", b'{"value": 1}', "is not under"),
        ("gridwatch/sensors/door-1/door", b'{"state": "ajar"}', "state: Input should be 'open' or 'closed'"),
        ("gridwatch/sensors/mh-1/manhole", b'{"tilt": 200, "open": false}', "tilt: Input should be less"),
        ("gridwatch/sensors/gas-1/gas", b'{"value": -5}', "outside [0.0, 1000000.0]"),
        ("gridwatch/sensors/wl-1/water_level", bytes(range(256)) * 20, "payload is 5120 bytes"),
        ("gridwatch/sensors/wl-1/water_level", b"\xff\xfe\x00binary", "not JSON"),
    ],
)
def test_what_does_not_parse_names_its_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as caught:
        PARSER.parse(topic, payload, NOW)
    assert reason in caught.value.reason


def test_a_clock_a_few_minutes_fast_is_accepted() -> None:
    ts = (NOW + timedelta(minutes=5)).isoformat()
    assert parse("wl-1", "water_level", f'{{"value": 1, "ts": "{ts}"}}'.encode()).at > NOW
