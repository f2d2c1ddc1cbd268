"""Exceptions of the MQTT sensor feed."""

from __future__ import annotations

from ingest.errors import IngestError


class SensorFeedError(IngestError):
    """The sensor feed cannot run: bad broker settings, or the broker cannot be reached in time."""


class PayloadError(SensorFeedError):
    """One message cannot become a reading; ``reason`` says why (it goes with the dead letter)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
