"""Send queued alerts to the centre's `POST /v1/alerts`, oldest first, each on its own schedule.

An alert is marked delivered only after a 2xx; its id makes a retry harmless at the API. What an
answer means decides who waits (`verdict`):

- **the whole box waits** (global backoff with jitter, nothing is sent meanwhile, order is kept): no
  answer at all, 502/503/504 (the centre is away or overloaded), 408/425/429 (slow down), 401 (the
  token is unknown) and 404/405 (the URL does not lead to the alert route): none of these is about
  one alert, so trying the next one would only add load;
- **this alert waits** (its own exponential backoff, `api.alert_backoff`, kept in the outbox;
  the others go on): 500 and other 5xx (the centre failed on this alert), and 403 (this box may not
  post this alert now: a revoked token, a source the centre does not know; fixable at the centre
  without touching the alert, so it is retried by itself rather than parked);
- **this alert is parked** with its reason (kept, never sent again by itself, visible in /healthz,
  /metrics and `gridwatch edge outbox list`, sent again with `gridwatch edge outbox retry`): any other
  4xx (400, 409, 413, 422, ...): the centre will never take this alert as it is. A stored row that no
  longer validates as an alert is parked by the outbox.

The loop runs under the edge worker's `Supervisor`: an error that is not about one alert (the outbox
database fails) ends the thread, which is restarted after a backoff and shown in /healthz meanwhile.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from edge.config import ApiConfig
from edge.outbox import Outbox, Pending
from edge.supervisor import Supervisor
from ingest.backoff import Backoff

logger = logging.getLogger(__name__)

THREAD = "publisher"
BOX_WAITS = frozenset({401, 404, 405, 408, 425, 429, 502, 503, 504})
ALERT_WAITS = frozenset({403})


class Verdict(enum.StrEnum):
    """What one answer of the centre means for the alert and for the others (see the module doc)."""

    DELIVERED = "delivered"
    BOX_WAITS = "box_waits"
    ALERT_WAITS = "alert_waits"
    PARK = "park"


def verdict(status: int | None) -> Verdict:
    """The verdict for an HTTP status, or for no answer at all (None)."""
    if status is None or status in BOX_WAITS:
        return Verdict.BOX_WAITS
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status >= 500 or status in ALERT_WAITS:
        return Verdict.ALERT_WAITS
    return Verdict.PARK


@dataclass
class PublisherStats:
    """Counters for metrics and progress displays."""

    sent: int = 0
    failed: int = 0
    """Answers that refused an alert (4xx)."""
    retried: int = 0
    """Attempts that did not deliver and will be tried again."""
    parked: int = 0
    sent_by_source: Counter[str] = field(default_factory=Counter)
    """Alerts delivered, by camera or sensor id."""


class Publisher:
    """A supervised thread that drains the outbox to the API.

    Example:
        >>> publisher = Publisher(outbox, ApiConfig(url="http://centre:8000", token="..."))
        >>> publisher.start(); publisher.notify()
        >>> publisher.stop(drain_timeout_s=30)  # True when nothing is left to send
    """

    def __init__(
        self, outbox: Outbox, config: ApiConfig, *, batch: int = 20, supervisor: Supervisor | None = None
    ) -> None:
        self.outbox = outbox
        self.config = config
        self.batch = batch
        self.stats = PublisherStats()
        self._own_supervisor = supervisor is None
        self.supervisor = supervisor or Supervisor()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pause = Backoff(config.backoff)
        self._paused_until = 0.0
        self._client = httpx.Client(
            base_url=config.url,
            timeout=config.timeout_s,
            headers={"Authorization": f"Bearer {config.token}"},
        )

    def start(self) -> None:
        """Start sending in the background, under the supervisor."""
        self.supervisor.spawn(THREAD, self._run)
        if self._own_supervisor:
            self.supervisor.start()

    def notify(self) -> None:
        """Something was queued: send now rather than at the next poll."""
        self._wake.set()

    def stop(self, drain_timeout_s: float) -> bool:
        """Stop; first keep sending for up to `drain_timeout_s`. True when nothing is left to send."""
        deadline = time.monotonic() + drain_timeout_s
        try:
            while self.outbox.depth() and time.monotonic() < deadline:
                self._wake.set()
                self._stop.wait(0.1)
        finally:
            self.supervisor.release(THREAD)
            self._stop.set()
            self._wake.set()
            self.supervisor.join(THREAD, self.config.timeout_s + 1)
            if self._own_supervisor:
                self.supervisor.stop()
            self._client.close()
        return self.outbox.depth() == 0

    def _run(self) -> None:
        while not self._stop.is_set():
            paused = self._paused_until - time.monotonic()
            if paused > 0:
                self._stop.wait(paused)
                continue
            if not self._send_due():
                self._wake.wait(1.0)
                self._wake.clear()

    def _send_due(self) -> bool:
        """Send the alerts that are due, oldest first; False when there was none."""
        due = self.outbox.due(self.batch)
        for item in due:
            if self._stop.is_set() or self._send(item) is Verdict.BOX_WAITS:
                break
        return bool(due)

    def _send(self, item: Pending) -> Verdict:
        try:
            response = self._client.post("/v1/alerts", content=item.body,
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        except httpx.HTTPError as exc:
            self._box_waits(item, f"{type(exc).__name__}: {exc}")
            return Verdict.BOX_WAITS
        outcome = verdict(response.status_code)
        error = f"HTTP {response.status_code}: {response.text[:300]}"
        if outcome is Verdict.DELIVERED:
            self.outbox.delivered(item.seq)
            self.stats.sent += 1
            self.stats.sent_by_source[item.source_id] += 1
            self._pause.reset()
        elif outcome is Verdict.BOX_WAITS:
            self.stats.failed += 400 <= response.status_code < 500
            self._box_waits(item, error)
        elif outcome is Verdict.ALERT_WAITS:
            self.stats.failed += 400 <= response.status_code < 500
            self._alert_waits(item, error)
        else:
            self._park(item, error)
        return outcome

    def _box_waits(self, item: Pending, error: str) -> None:
        """Pause all sending (the centre is away or refuses this box); the alert keeps its place."""
        self.stats.retried += 1
        self.outbox.failed(item.seq, error)
        delay = self._pause.next_delay()
        self._paused_until = time.monotonic() + delay
        logger.warning("alert %s not delivered (%s); pausing %.1f s", item.alert_id, error, delay)

    def _alert_waits(self, item: Pending, error: str) -> None:
        """Retry this alert alone, later; the others go on."""
        self.stats.retried += 1
        self._pause.reset()
        delay = self.config.alert_backoff.delay(item.attempts)
        self.outbox.failed(item.seq, error, retry_in_s=delay)
        logger.warning("alert %s not delivered (%s); retrying it in %.1f s", item.alert_id, error, delay)

    def _park(self, item: Pending, error: str) -> None:
        self.stats.failed += 1
        self.stats.parked += 1
        self._pause.reset()
        self.outbox.park(item.seq, f"centre refused it: {error}")
        logger.error("centre refused alert %s for good (%s); parked", item.alert_id, error)
