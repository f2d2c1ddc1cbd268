"""Reconnect delays grow exponentially, stay under the cap, carry jitter and restart after a reset."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from ingest.backoff import Backoff, BackoffConfig
from ingest.mqtt import MqttConfig


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


def test_a_queue_asks_the_delay_of_its_items_failure_count() -> None:
    config = BackoffConfig(initial_s=1, max_s=5, factor=3, jitter=0)
    assert [config.delay(n) for n in (0, 1, 2, 10_000)] == [1, 3, 5, 5]


def test_jitter_only_shortens_a_delay() -> None:
    config = BackoffConfig(initial_s=2, max_s=2, jitter=0.25)
    delays = [config.delay(0, random.Random(seed)) for seed in range(20)]
    assert all(1.5 <= d <= 2 for d in delays)
    assert len(set(delays)) > 1


def test_the_older_flat_spelling_of_the_mqtt_backoff_still_reads() -> None:
    old = MqttConfig.model_validate({"client_id": "c", "reconnect_min_s": 0.2, "reconnect_max_s": 3})
    assert old.backoff == BackoffConfig(initial_s=0.2, max_s=3)
    with pytest.raises(ValidationError, match="older spelling"):
        MqttConfig.model_validate({"client_id": "c", "reconnect_min_s": 1, "backoff": {"max_s": 2}})
