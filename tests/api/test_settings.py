"""The API settings refuse combinations that cannot work, naming both settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import ApiSettings


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"clip_chunk_max_bytes": 5 * 1024 * 1024}, "clip_chunk_max_bytes 5242880 exceeds max_body_bytes"),
        ({"webhook_per_subscriber": 17}, "webhook_per_subscriber 17 exceeds webhook_concurrency 16"),
        ({"login_user_slow_after": 11}, "login_user_slow_after 11 exceeds login_user_lock_after 10"),
        ({"login_address_slow_after": 51}, "login_address_slow_after 51 exceeds login_address_lock_after"),
        ({"webhook_lease_s": 15.0}, "webhook_lease_s 15.0 must exceed 3 x webhook_timeout_s"),
        ({"evidence_max_bytes": 3 * 1024 * 1024}, "evidence_max_bytes 3145728 exceeds the contract's"),
    ],
)
def test_a_setting_beyond_its_bound_is_refused(given: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        ApiSettings(database_url="sqlite:///:memory:", **given)  # type: ignore[arg-type]


def test_the_bounds_themselves_are_accepted() -> None:
    settings = ApiSettings(
        database_url="sqlite:///:memory:", webhook_per_subscriber=16, login_user_slow_after=10
    )
    assert (settings.webhook_per_subscriber, settings.login_user_slow_after) == (16, 10)


def test_a_period_of_zero_turns_a_job_off_and_a_negative_one_is_refused() -> None:
    assert ApiSettings(database_url="sqlite:///:memory:", escalation_interval_s=0).escalation_interval_s == 0
    with pytest.raises(ValidationError, match="grid_refresh_s"):
        ApiSettings(database_url="sqlite:///:memory:", grid_refresh_s=-1)
