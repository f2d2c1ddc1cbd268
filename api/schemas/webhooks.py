"""Webhook subscriptions and their delivery records, as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from gridwatch.contracts.alert import NO_NUL

TOPICS = ("event.opened", "event.status_changed", "event.escalated")
"""What a subscriber can be told about an event."""


class SubscriptionIn(BaseModel):
    """What to send where; the secret signs every delivery."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=512, pattern=NO_NUL, description="http(s) URL; private addresses only when allowed"
    )
    secret: str = Field(min_length=16, max_length=128, pattern=NO_NUL)
    event_types: list[Annotated[str, Field(max_length=16, pattern=r"^[A-Z0-9]+$")]] = Field(
        default_factory=list, max_length=64, description="Only these types; empty = all"
    )
    topics: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=len(TOPICS), description="Only these topics; empty = all"
    )


class SubscriptionOut(BaseModel):
    """A subscription (the secret is never shown again)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    scope_path: str
    event_types: list[str]
    topics: list[str]
    active: bool
    failure_streak: int = Field(description="Failed delivery attempts in a row (0 after a success)")
    paused_until: datetime | None = Field(
        description="Circuit breaker: nothing is sent to this URL until then (null: not paused)"
    )


class DeliveryOut(BaseModel):
    """The record of one delivery."""

    model_config = ConfigDict(from_attributes=True)

    delivery_id: str
    topic: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str
    next_attempt_at: datetime
    delivered_at: datetime | None
