"""How the box reaches the centre (the publisher, heartbeats, snapshots, clips and config fetches)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from gridwatch.strict import Strict
from ingest.backoff import BackoffConfig, flat_backoff

ALERT_MAX_S = 300.0
"""The longest delay between two tries of one alert, unless configured."""


class ApiConfig(Strict):
    """Where and how the edge box reaches the centre.

    Example:
        >>> ApiConfig(url="http://centre:8000", token="t0ken-of-box", backoff={"max_s": 10}).backoff.max_s
        10.0
    """

    url: str = Field(description="Base URL of the central API, e.g. http://centre:8000")
    token: str = Field(min_length=8, description="This edge box's device token")
    timeout_s: float = Field(default=10.0, gt=0, description="Connect/read timeout of one request")
    backoff: BackoffConfig = Field(
        default_factory=BackoffConfig,
        description="Pauses of all sending while the centre is away; also between tries of one clip",
    )
    alert_backoff: BackoffConfig = Field(
        default_factory=lambda: BackoffConfig(max_s=ALERT_MAX_S),
        description="Delays between tries of one alert the centre failed on (the others go on meanwhile)",
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_backoff(cls, value: Any) -> Any:
        """The older flat spelling still reads: `backoff_initial_s` (both backoffs' first delay),
        `backoff_max_s` and `alert_backoff_max_s`."""
        if not isinstance(value, dict):
            return value
        if "backoff_initial_s" in value or "alert_backoff_max_s" in value:
            value = {**value, "alert_backoff_max_s": value.get("alert_backoff_max_s", ALERT_MAX_S)}
            if "backoff_initial_s" in value:
                value["alert_backoff_initial_s"] = value["backoff_initial_s"]
        alert = {"alert_backoff_initial_s": "initial_s", "alert_backoff_max_s": "max_s"}
        value = flat_backoff(value, alert, into="alert_backoff")
        return flat_backoff(value, {"backoff_initial_s": "initial_s", "backoff_max_s": "max_s"})
