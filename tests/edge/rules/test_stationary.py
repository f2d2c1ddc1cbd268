"""Stationary vehicle: standing still vs moving, jitter tolerance, optional zone."""

from __future__ import annotations

import pytest
import supervision as sv

from gridwatch.contracts import AlertKind
from tests.edge.rules.builders import build, frame, run


def stationary(**fields: object) -> dict[str, object]:
    rule = {"id": "no-parking", "type": "vehicle_stationary", "min_duration_s": 10.0, "max_movement_px": 15.0}
    return rule | {"cooldown_s": 30.0} | fields


def car_at(x: float, y: float = 200.0, track: int = 1, name: str = "car") -> sv.Detections:
    return frame((name, x, y, track))


@pytest.mark.parametrize("cooldown_s", [0.0, 30.0])
def test_stationary_car_hits_once(cooldown_s: float) -> None:
    hits = run(
        build(stationary(cooldown_s=cooldown_s)), [car_at(200.0 + (k % 3) * 4) for k in range(200)]
    )  # ±8 px jitter
    assert len(hits) == 1
    assert (hits[0].kind, hits[0].frame_index, hits[0].details["stationary_s"]) == (
        AlertKind.VEHICLE_STATIONARY,
        50,
        10.0,
    )
    assert hits[0].geometry is None


def test_moving_car_never_hits() -> None:
    assert run(build(stationary()), [car_at(10.0 + 5 * k) for k in range(200)]) == []  # 25 px/s


def test_slow_creep_beyond_max_movement_restarts_the_clock() -> None:
    frames = [car_at(200.0 + 0.5 * k) for k in range(80)]  # 40 px in 16 s, 15 px every 6 s
    assert run(build(stationary()), frames) == []


def test_moving_again_ends_the_episode() -> None:
    frames = [car_at(200.0)] * 60 + [car_at(200.0 + 10 * k) for k in range(10)] + [car_at(290.0)] * 60
    assert len(run(build(stationary(cooldown_s=0.0)), frames)) == 2
    assert len(run(build(stationary(cooldown_s=60.0)), frames)) == 1


@pytest.mark.parametrize(("name", "hits"), [("car", 1), ("bus", 1), ("person", 0)])
def test_vehicle_group_by_default(name: str, hits: int) -> None:
    assert len(run(build(stationary()), [car_at(200.0, name=name)] * 60)) == hits


@pytest.mark.parametrize(("x", "hits"), [(200.0, 1), (500.0, 0)])
def test_zone_limits_where_it_counts(x: float, hits: int) -> None:
    found = run(build(stationary(zone="z")), [car_at(x)] * 60)
    assert len(found) == hits
    assert all(hit.geometry is not None and hit.geometry.name == "z" for hit in found)


def test_tentative_and_lost_tracks() -> None:
    rules = build(stationary(cooldown_s=5.0))
    assert run(rules, [car_at(200.0, track=-1)] * 60) == []
    run(rules, [car_at(200.0)] * 60, start=60)
    assert rules.state_size == 2
    run(rules, [frame()] * 30, start=120)  # 6 s: the track is lost, the cooldown (hit at 22 s) over
    assert rules.state_size == 0
