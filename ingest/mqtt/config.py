"""How the edge box reaches its MQTT broker, validated once where the edge config is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from gridwatch.strict import Strict
from ingest.backoff import BackoffConfig, flat_backoff


class MqttConfig(Strict):
    """Broker, credentials, topics and timeouts of the sensor feed.

    Example:
        >>> MqttConfig(host="127.0.0.1", client_id="gridwatch-edge-01").topic_prefix
        'gridwatch/sensors'
    """

    host: str = Field(default="127.0.0.1", min_length=1, description="Broker host name or address")
    port: int = Field(default=1883, ge=1, le=65535, description="Broker port (8883 is usual with TLS)")
    client_id: str = Field(
        min_length=1,
        max_length=64,
        description="Fixed client id: the broker keeps this session's subscription and queued readings",
    )
    protocol: Literal["5", "3.1.1"] = Field(default="5", description="MQTT protocol version")
    username: str | None = Field(default=None, description="User name, when the broker asks for one")
    password: str | None = Field(default=None, description="Password that goes with username")
    tls_ca_file: Path | None = Field(
        default=None, description="CA certificate (PEM) that signed the broker's; set to use TLS"
    )
    topic_prefix: str = Field(
        default="gridwatch/sensors",
        min_length=1,
        pattern=r"^[^#+]+$",
        description="Readings arrive on <prefix>/<sensor_id>/<kind>",
    )
    dead_letter_topic: str = Field(
        default="gridwatch/deadletter/sensors",
        min_length=1,
        pattern=r"^[^#+]+$",
        description="Messages that do not parse are republished here with the reason",
    )
    keepalive_s: int = Field(default=30, ge=5, le=3600, description="MQTT keepalive interval")
    connect_timeout_s: float = Field(default=10.0, gt=0, description="Longest wait for the broker's CONNACK")
    session_expiry_s: int = Field(
        default=7 * 24 * 3600,
        ge=0,
        description="MQTT 5: how long the broker keeps the session (and queued readings) while away",
    )
    backoff: BackoffConfig = Field(
        default_factory=BackoffConfig, description="Delays between reconnect attempts to the broker"
    )
    max_payload_bytes: int = Field(
        default=64 * 1024, ge=64, description="Larger payloads are dead-lettered unread"
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_backoff(cls, value: Any) -> Any:
        """`reconnect_min_s` / `reconnect_max_s`, the older spelling, still read (stored documents)."""
        return flat_backoff(value, {"reconnect_min_s": "initial_s", "reconnect_max_s": "max_s"})

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.password is not None and self.username is None:
            raise ValueError("mqtt.password needs mqtt.username")
        if self.dead_letter_topic.startswith(self.topic_prefix.rstrip("/") + "/"):
            raise ValueError(f"dead_letter_topic {self.dead_letter_topic!r} must lie outside topic_prefix")
        return self

    @property
    def subscription(self) -> str:
        """The one topic filter the feed subscribes to."""
        return f"{self.topic_prefix.rstrip('/')}/#"
