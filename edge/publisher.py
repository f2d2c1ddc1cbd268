"""Send queued alerts to the centre's `POST /v1/alerts`, oldest first, with backoff and jitter.

An alert is marked delivered only after a 2xx. The alert id makes a retry harmless at the API.
A 4xx other than 408/429 means the centre will never take this alert (bad token, bad alert):
it is recorded with the reason and retried only slowly, so one bad alert can't block the rest.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from pydantic import BaseModel, ConfigDict, Field

from edge.outbox import Outbox, Pending

logger = logging.getLogger(__name__)

RETRYABLE = {408, 425, 429}


class ApiConfig(BaseModel):
    """Where and how the edge box reaches the centre."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="Base URL of the central API, e.g. http://centre:8000")
    token: str = Field(min_length=8, description="This edge box's device token")
    timeout_s: float = Field(default=10.0, gt=0, description="Connect/read timeout of one request")
    backoff_initial_s: float = Field(default=0.5, gt=0, description="First retry delay")
    backoff_max_s: float = Field(default=30.0, gt=0, description="Longest retry delay")


@dataclass
class PublisherStats:
    """Counters for metrics and progress displays."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    sent_by_source: Counter[str] = field(default_factory=Counter)
    """Alerts delivered, by camera or sensor id."""


class Publisher:
    """A thread that drains the outbox to the API."""

    def __init__(self, outbox: Outbox, config: ApiConfig, *, batch: int = 20) -> None:
        self.outbox = outbox
        self.config = config
        self.batch = batch
        self.stats = PublisherStats()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._delay = 0.0
        self._held: dict[int, float] = {}  # seq of a refused alert -> monotonic time of its next try
        self._client = httpx.Client(
            base_url=config.url,
            timeout=config.timeout_s,
            headers={"Authorization": f"Bearer {config.token}"},
        )
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)

    def start(self) -> None:
        """Start sending in the background."""
        self._thread.start()

    def notify(self) -> None:
        """Something was queued: send now rather than at the next poll."""
        self._wake.set()

    def stop(self, drain_timeout_s: float) -> bool:
        """Stop; first try to empty the outbox for up to `drain_timeout_s`. True when it is empty."""
        deadline = threading.Event()
        timer = threading.Timer(drain_timeout_s, deadline.set)
        timer.start()
        try:
            while self.outbox.depth() and not deadline.is_set() and self._thread.is_alive():
                self._wake.set()
                deadline.wait(0.1)
        finally:
            timer.cancel()
            self._stop.set()
            self._wake.set()
            self._thread.join(self.config.timeout_s + 1)
            self._client.close()
        return self.outbox.depth() == 0

    def _run(self) -> None:
        while not self._stop.is_set():
            sent_any = self._send_batch()
            if self._delay:
                self._stop.wait(self._delay)
            elif not sent_any:
                self._wake.wait(1.0)
                self._wake.clear()

    def _send_batch(self) -> bool:
        now = time.monotonic()
        self._held = {seq: until for seq, until in self._held.items() if until > now}
        fetched = self.outbox.pending(self.batch + len(self._held))
        pending = [item for item in fetched if item.seq not in self._held][: self.batch]
        for item in pending:
            if self._stop.is_set() or not self._send(item):
                return False
        return bool(pending)

    def _send(self, item: Pending) -> bool:
        """True when delivered (or refused: held back for `backoff_max_s`); False to back off and retry."""
        try:
            response = self._client.post("/v1/alerts", content=item.alert.model_dump_json(),
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        except httpx.HTTPError as exc:
            return self._retry_later(item, f"{type(exc).__name__}: {exc}")
        if response.is_success:
            self.outbox.delivered(item.seq)
            self.stats.sent += 1
            self.stats.sent_by_source[item.alert.source_id] += 1
            self._delay = 0.0
            return True
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            return self._retry_later(item, f"HTTP {response.status_code}: {response.text[:200]}")
        logger.error("centre refused alert %s: HTTP %d %s", item.alert.alert_id, response.status_code,
                     response.text[:300])  # fmt: skip
        self.stats.failed += 1
        self.outbox.failed(item.seq, f"HTTP {response.status_code}: {response.text[:300]}")
        self._held[item.seq] = time.monotonic() + self.config.backoff_max_s  # go on with the others
        return True

    def _retry_later(self, item: Pending, error: str, *, count: bool = True) -> bool:
        if count:
            self.stats.retried += 1
            self.outbox.failed(item.seq, error)
            logger.warning("alert %s not delivered (%s); retrying", item.alert.alert_id, error)
        base = max(self.config.backoff_initial_s, min(self.config.backoff_max_s, self._delay * 2))
        self._delay = base * random.uniform(0.8, 1.2)  # jitter, not crypto
        return False
