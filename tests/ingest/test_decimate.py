"""Decimation keeps frames on a grid of stream time, whatever the source rate."""

from __future__ import annotations

import pytest

from ingest.decimate import Decimator


def kept(source_fps: float, target_fps: float | None, seconds: float) -> list[float]:
    """Stream times kept from a ``source_fps`` stream lasting ``seconds``."""
    decimator = Decimator(target_fps)
    times = [i / source_fps for i in range(round(seconds * source_fps))]
    return [round(t, 3) for t in times if decimator.keep(t)]


@pytest.mark.parametrize(
    ("source_fps", "target_fps", "expected"),
    [
        (10, 5, [0.0, 0.2, 0.4, 0.6, 0.8]),
        (12.5, 5, [0.0, 0.24, 0.4, 0.64, 0.8]),
        (25, 5, [0.0, 0.2, 0.4, 0.6, 0.8]),
        (10, 2, [0.0, 0.5]),
        (10, None, [round(i / 10, 3) for i in range(10)]),
        (5, 10, [0.0, 0.2, 0.4, 0.6, 0.8]),
    ],
)
def test_keeps_frames_on_the_target_grid(
    source_fps: float, target_fps: float | None, expected: list[float]
) -> None:
    assert kept(source_fps, target_fps, seconds=1.0) == expected


@pytest.mark.parametrize(("source_fps", "target_fps"), [(10, 5), (12.5, 5), (25, 5), (30, 7), (12.5, 3)])
def test_long_run_rate_matches_the_target(source_fps: float, target_fps: float) -> None:
    times = kept(source_fps, target_fps, seconds=60.0)
    assert len(times) == pytest.approx(60 * target_fps, abs=1)


def test_gap_restarts_the_grid_instead_of_bursting() -> None:
    decimator = Decimator(5)
    before = [decimator.keep(t) for t in (0.0, 0.1, 0.2)]
    after_gap = [decimator.keep(t) for t in (7.0, 7.1, 7.2)]
    assert (before, after_gap) == ([True, False, True], [True, False, True])


def test_clock_going_back_starts_a_new_grid() -> None:
    decimator = Decimator(5)
    assert [decimator.keep(t) for t in (100.0, 100.1, 0.0, 0.1, 0.2)] == [True, False, True, False, True]
