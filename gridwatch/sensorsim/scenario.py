"""Realistic readings for the demo and for tests: noise, a rising river, a smoke alarm, a silent sensor.

The scenario runs over ``duration_s`` of simulated time in steps of ``interval_s`` (readings carry
that time as ``ts``). By fraction of the run:

- water_level: noise around 70 % of the clear level; rises past the threshold from 20 % to 50 %,
  stays up until 70 %, falls back by 85 % (one raise, one clear);
- smoke: alarm (and high obscuration) from 40 % to 60 %; door: open from 30 % to 35 %;
- gas, temperature, manhole: noise around normal values; battery: slowly draining, every 30 steps;
- heartbeats every ``heartbeat_s``; one sensor (``silent``) stops sending anything at 50 %.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from edge.config import SensorConfig
from ingest.mqtt.readings import SensorKind

Message = tuple[str, bytes]


@dataclass(frozen=True)
class Scenario:
    """How long, how often, which sensor goes silent, and the random seed."""

    duration_s: float = 120.0
    interval_s: float = 1.0
    silent: str | None = None
    seed: int = 0

    @property
    def steps(self) -> int:
        """Number of reading rounds."""
        return max(1, round(self.duration_s / self.interval_s))


def _between(f: float, start: float, end: float) -> bool:
    return start <= f < end


def _water(sensor: SensorConfig, f: float, noise: float) -> dict[str, Any]:
    high = sensor.threshold.above if sensor.threshold and sensor.threshold.above is not None else 1.2
    low = sensor.threshold.clear_below if sensor.threshold and sensor.threshold.clear_below else high * 0.9
    base, peak = low * 0.7, high + 0.15
    if _between(f, 0.2, 0.5):
        level = base + (peak - base) * (f - 0.2) / 0.3
    elif _between(f, 0.5, 0.7):
        level = peak
    elif _between(f, 0.7, 0.85):
        level = peak - (peak - base) * (f - 0.7) / 0.15
    else:
        level = base
    return {"value": round(level + noise * 0.01, 4), "unit": "m"}


def _reading(sensor: SensorConfig, f: float, rng: random.Random) -> dict[str, Any]:
    noise = rng.uniform(-1, 1)
    match sensor.kind:
        case SensorKind.WATER_LEVEL:
            return _water(sensor, f, noise)
        case SensorKind.SMOKE:
            alarm = _between(f, 0.4, 0.6)
            return {"alarm": alarm, "obscuration": round((8.0 if alarm else 0.2) + noise * 0.1, 3)}
        case SensorKind.GAS:
            return {"value": round(5 + noise, 2), "unit": "ppm"}
        case SensorKind.DOOR:
            return {"state": "open" if _between(f, 0.3, 0.35) else "closed"}
        case SensorKind.TEMPERATURE:
            return {"value": round(21 + noise * 0.5, 2), "unit": "°C"}
        case _:  # manhole
            return {"tilt": round(1.0 + abs(noise) * 0.3, 2), "open": False}


class Simulator:
    """Messages (topic, JSON payload) for every step of a scenario.

    Example:
        >>> sim = Simulator(sensors, topic_prefix="gridwatch/sensors", scenario=Scenario(duration_s=60))
        >>> for step, messages in sim.rounds(start=datetime.now(UTC)): ...
    """

    def __init__(self, sensors: Sequence[SensorConfig], *, topic_prefix: str, scenario: Scenario) -> None:
        self.sensors = list(sensors)
        self.prefix = topic_prefix.rstrip("/")
        self.scenario = scenario
        self._rng = random.Random(scenario.seed)

    def rounds(self, start: datetime) -> Iterator[tuple[int, list[Message]]]:
        """(step, messages) for each step; readings carry ``start`` + step × interval as ``ts``."""
        for step in range(self.scenario.steps):
            at = start + timedelta(seconds=step * self.scenario.interval_s)
            yield step, [m for sensor in self.sensors for m in self._messages(sensor, step, at)]

    def _messages(self, sensor: SensorConfig, step: int, at: datetime) -> list[Message]:
        f = step / self.scenario.steps
        if sensor.id == self.scenario.silent and f >= 0.5:
            return []
        ts = {"ts": at.isoformat()}
        out = [self._message(sensor, sensor.kind, {**_reading(sensor, f, self._rng), **ts})]
        if step % 30 == 0:
            out.append(self._message(sensor, SensorKind.BATTERY, {"value": round(90 - 10 * f, 1), **ts}))
        every = max(1, round((sensor.heartbeat_s or 60) / self.scenario.interval_s))
        if step % every == 0:
            out.append(self._message(sensor, SensorKind.HEARTBEAT, ts))
        return out

    def _message(self, sensor: SensorConfig, kind: SensorKind, body: dict[str, Any]) -> Message:
        return f"{self.prefix}/{sensor.id}/{kind.value}", json.dumps(body, ensure_ascii=False).encode()
