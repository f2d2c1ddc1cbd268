"""State transitions are recorded with times and reasons; final states stay final."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.state import HealthTracker, SourceState


def test_transitions_are_recorded_in_order_with_reasons() -> None:
    tracker = HealthTracker("cam")
    for state in (SourceState.STREAMING, SourceState.STALLED, SourceState.OFFLINE, SourceState.STREAMING):
        tracker.enter(state, f"to {state.value}")
    health = tracker.snapshot()
    states = [t.state for t in health.transitions]
    assert states == ["connecting", "streaming", "stalled", "offline", "streaming"]
    assert health.transitions[-1].reason == "to streaming"
    assert health.since == health.transitions[-1].at
    assert all(a.at <= b.at for a, b in zip(health.transitions, health.transitions[1:], strict=False))


def test_same_state_twice_is_one_transition() -> None:
    tracker = HealthTracker("cam")
    tracker.enter(SourceState.STREAMING)
    tracker.enter(SourceState.STREAMING)
    assert len(tracker.snapshot().transitions) == 2


def test_final_state_is_not_left() -> None:
    tracker = HealthTracker("cam")
    tracker.enter(SourceState.CLOSED, "closed by the consumer")
    tracker.enter(SourceState.STALLED, "late news from the reader thread")
    assert tracker.state is SourceState.CLOSED


def test_counters_and_last_frame_time() -> None:
    tracker = HealthTracker("cam")
    at = datetime.now(UTC)
    tracker.frame_read(at)
    tracker.count(frames_dropped=2, reconnects=1)
    health = tracker.snapshot()
    assert (health.frames_read, health.frames_dropped, health.reconnects, health.last_frame_at) == (
        1,
        2,
        1,
        at,
    )


def test_history_is_bounded() -> None:
    tracker = HealthTracker("cam")
    for _ in range(100):
        tracker.enter(SourceState.STREAMING)
        tracker.enter(SourceState.STALLED)
    assert len(tracker.snapshot().transitions) == HealthTracker.HISTORY
