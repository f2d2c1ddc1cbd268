"""The stream clock only moves forward and keeps the stream's own steps and gaps."""

from __future__ import annotations

import pytest

from ingest.clock import StreamClock


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ([0.0, 0.1, 0.2, 0.3], [0.0, 0.1, 0.2, 0.3]),
        ([0.0, -0.3, -0.2, -0.1, 0.0], [0.0, 0.1, 0.2, 0.3, 0.4]),
        ([0.0, 0.0, 0.0, 0.0], [0.0, 0.1, 0.2, 0.3]),
        ([5.0, 5.1, 0.0, 0.1], [5.0, 5.1, 5.2, 5.3]),
        ([0.0, 0.1, 3.0, 3.1], [0.0, 0.1, 3.0, 3.1]),
    ],
    ids=["clean", "rtsp-start", "no-times", "clock-restart", "gap"],
)
def test_times_move_forward_keeping_steps(reported: list[float], expected: list[float]) -> None:
    clock = StreamClock(fps=10)
    assert [round(clock.time(t), 3) for t in reported] == expected
