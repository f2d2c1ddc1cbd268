"""Reconnect delays grow exponentially, stay under the cap, carry jitter and restart after a reset."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from ingest.backoff import Backoff
from ingest.config import BackoffConfig


def test_delays_double_up_to_the_cap_without_jitter() -> None:
    backoff = Backoff(BackoffConfig(initial_s=0.5, max_s=4, jitter=0))
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_jitter_stays_within_its_fraction_and_varies() -> None:
    backoff = Backoff(BackoffConfig(initial_s=1, max_s=1, jitter=0.5), rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(50)]
    assert all(0.5 <= d <= 1.0 for d in delays)
    assert len(set(delays)) > 1


def test_reset_starts_from_the_initial_delay() -> None:
    backoff = Backoff(BackoffConfig(initial_s=0.25, max_s=8, jitter=0))
    for _ in range(4):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 0.25


def test_many_failures_do_not_overflow() -> None:
    backoff = Backoff(BackoffConfig(initial_s=1, max_s=30, jitter=0))
    assert [backoff.next_delay() for _ in range(5000)][-1] == 30


def test_cap_below_initial_is_refused() -> None:
    with pytest.raises(ValidationError, match="max_s"):
        BackoffConfig(initial_s=5, max_s=1)
