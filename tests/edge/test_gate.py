"""The motion gate on synthetic frames: what passes to the detector and what is skipped."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from edge.config import GateConfig
from edge.gate import MotionGate

HEIGHT, WIDTH = 240, 320


def grey_frame(level: int = 100) -> NDArray[np.uint8]:
    """A uniform BGR frame."""
    return np.full((HEIGHT, WIDTH, 3), level, dtype=np.uint8)


def with_patch(frame: NDArray[np.uint8], size: int, level: int = 255) -> NDArray[np.uint8]:
    """A copy of `frame` with a bright square of `size` pixels in the middle."""
    out = frame.copy()
    y, x = HEIGHT // 2 - size // 2, WIDTH // 2 - size // 2
    out[y : y + size, x : x + size] = level
    return out


def decisions(gate: MotionGate, frames: list[NDArray[np.uint8]], step_s: float = 0.2) -> list[str]:
    """Run frames through the gate at `step_s` apart; 'pass' or 'skip' each."""
    return ["pass" if gate.check(frame, k * step_s) else "skip" for k, frame in enumerate(frames)]


@pytest.mark.parametrize(
    ("name", "second", "expected"),
    [
        ("identical frame", grey_frame(), "skip"),
        ("patch of 40 px (~2 % of the picture)", with_patch(grey_frame(), 40), "pass"),
        ("uniform change of 10 grey levels (< pixel_threshold)", grey_frame(110), "skip"),
        ("uniform change of 40 grey levels (> pixel_threshold)", grey_frame(140), "pass"),
        ("a single changed pixel (< min_changed)", with_patch(grey_frame(), 1), "skip"),
    ],
)
def test_second_frame_against_the_first(name: str, second: NDArray[np.uint8], expected: str) -> None:
    gate = MotionGate(GateConfig())
    assert decisions(gate, [grey_frame(), second]) == ["pass", expected], name


def test_noise_below_pixel_threshold_is_skipped() -> None:
    rng = np.random.default_rng(7)
    base = grey_frame()
    noisy = [
        np.clip(base.astype(np.int16) + rng.integers(-10, 11, base.shape), 0, 255).astype(np.uint8)
        for _ in range(5)
    ]
    gate = MotionGate(GateConfig(pixel_threshold=25))
    assert decisions(gate, [base, *noisy]) == ["pass"] + ["skip"] * 5


def test_slow_drift_adds_up_against_the_last_passed_frame() -> None:
    # Each frame is 10 grey levels brighter than the one before: no single step crosses the
    # threshold of 25, but the third step is 30 levels from the last frame that passed.
    frames = [grey_frame(100 + 10 * k) for k in range(7)]
    gate = MotionGate(GateConfig(pixel_threshold=25))
    assert decisions(gate, frames) == [
        "pass", "skip", "skip", "pass", "skip", "skip", "pass",
    ]  # fmt: skip


def test_max_skip_forces_a_refresh_on_a_still_picture() -> None:
    gate = MotionGate(GateConfig(max_skip_s=1.0))
    # Eleven identical frames 0.2 s apart: t = 0 passes, t = 1.0 and t = 2.0 are refreshes.
    got = decisions(gate, [grey_frame()] * 11, step_s=0.2)
    assert [k for k, d in enumerate(got) if d != "skip"] == [0, 5, 10]


def test_a_disabled_gate_passes_everything() -> None:
    gate = MotionGate(GateConfig(enabled=False))
    assert decisions(gate, [grey_frame()] * 4) == ["pass"] * 4


def test_reset_and_a_new_frame_size_start_over() -> None:
    gate = MotionGate(GateConfig())
    assert gate.check(grey_frame(), 0.0)
    assert not gate.check(grey_frame(), 0.2)  # the same picture: skipped
    gate.reset()
    assert gate.check(grey_frame(), 0.4)  # ... unless the gate starts over
    square = np.full((WIDTH, WIDTH, 3), 100, dtype=np.uint8)  # another aspect ratio: another grey size
    assert gate.check(square, 0.6)


def test_the_reference_is_the_last_passed_frame() -> None:
    base = grey_frame()
    frames = [base, base, with_patch(base, 40), with_patch(base, 40), base, grey_frame(105), base]
    gate = MotionGate(GateConfig(max_skip_s=100))
    got = decisions(gate, frames)
    # first frame; same; patch appears; same as the new reference; patch gone; faint; same.
    assert got == ["pass", "skip", "pass", "skip", "pass", "skip", "skip"]


CENTRE_BOX = np.array([[WIDTH / 2 - 40, HEIGHT / 2 - 40, WIDTH / 2 + 40, HEIGHT / 2 + 40]], np.float32)
CORNER_BOX = np.array([[0, 0, 60, 60]], np.float32)


@pytest.mark.parametrize(
    ("ignore", "still_boxes", "expected"),
    [
        (True, CENTRE_BOX, "skip"),  # the change is inside an object that stood still
        (True, CORNER_BOX, "pass"),  # the still object is elsewhere
        (True, np.zeros((0, 4), np.float32), "pass"),
        (True, None, "pass"),
        (False, CENTRE_BOX, "pass"),  # the option is off
    ],
    ids=["inside a still box", "outside it", "no boxes", "boxes not given", "option off"],
)
def test_change_inside_still_boxes(
    ignore: bool, still_boxes: NDArray[np.float32] | None, expected: str
) -> None:
    gate = MotionGate(GateConfig(ignore_inside_boxes=ignore))
    gate.check(grey_frame(), 0.0)
    passed = gate.check(with_patch(grey_frame(), 40), 0.2, still_boxes)
    assert ("pass" if passed else "skip") == expected
