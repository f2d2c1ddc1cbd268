"""Send ready clips to the centre in chunks, resuming where the centre's copy ends.

Per clip: `POST /v1/alerts/{alert_id}/clip` with its `ClipInfo` tells the centre what is coming and
returns how many bytes it already holds; `PUT` with `Content-Range` sends the rest, one chunk at a
time. A broken connection costs at most one chunk: the next attempt, even after a restart of the box,
asks again and goes on from there. The centre answers 404 until the clip's alert has arrived (alerts
never wait for clips; clips wait for their alert). Runs on its own thread beside the alert publisher.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from edge.clips.queue import ClipQueue, ClipRecord
from edge.clips.threads import SupervisedThread
from edge.config import ApiConfig
from edge.supervisor import Supervisor
from gridwatch.contracts import ClipInfo, ClipUploadState

logger = logging.getLogger(__name__)

MAX_REFUSALS = 3
"""A clip the centre refused this many times in a row is parked (see ClipState.PARKED)."""
RETRYABLE = {404, 408, 409, 425, 429}
"""404: the alert is not at the centre yet; 409: our offset was stale (the answer tells the right one)."""


class ClipRefusedError(RuntimeError):
    """The centre will not take this clip as it is (size, hash, token); retried only slowly."""


@dataclass
class SenderStats:
    """Counters for metrics."""

    sent: int = 0
    bytes: int = 0
    chunks: int = 0
    retried: int = 0
    refused: int = 0


class ClipSender:
    """A thread that delivers ready clips, oldest first, with backoff and jitter per clip.

    Example:
        >>> sender = ClipSender(clips, api_config, chunk_bytes=1 << 20); sender.start()
    """

    def __init__(
        self,
        clips: ClipQueue,
        config: ApiConfig,
        *,
        chunk_bytes: int,
        keep_sent_s: float,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.clips = clips
        self.config = config
        self.chunk_bytes = chunk_bytes
        self.keep_sent_s = keep_sent_s
        self.stats = SenderStats()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._failures: dict[str, int] = {}
        self._refusals: dict[str, int] = {}
        self._swept = float("-inf")
        self._client = httpx.Client(
            base_url=config.url, timeout=config.timeout_s, headers={"Authorization": f"Bearer {config.token}"}
        )
        self._thread = SupervisedThread("clip-sender", self._run, supervisor)

    def start(self) -> None:
        """Start sending in the background."""
        self._thread.start()

    def notify(self) -> None:
        """A clip became ready (or its alert was delivered): look now."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the chunk in flight."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout + self.config.timeout_s)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            due = self.clips.due(time.time(), 8)
            for record in due:
                if self._stop.is_set():
                    break
                self._deliver(record)
            self._forget_old()
            if not due:
                self._wake.wait(1.0)
                self._wake.clear()

    def _deliver(self, record: ClipRecord) -> None:
        assert record.info is not None
        try:
            self._send(record.info, record.path)
        except (httpx.HTTPError, OSError, ClipRefusedError) as exc:
            self._later(record, exc)
            return
        self.clips.sent(record.alert_id)
        self._failures.pop(record.alert_id, None)
        self._refusals.pop(record.alert_id, None)
        self.stats.sent += 1
        logger.info("clip of alert %s delivered (%d bytes)", record.alert_id, record.info.size)

    def _send(self, info: ClipInfo, path: Path) -> None:
        state = self._answer(
            self._client.post(
                f"/v1/alerts/{info.alert_id}/clip",
                content=info.model_dump_json(),
                headers={"Content-Type": "application/json"},
            )
        )
        chunk = min(self.chunk_bytes, state.max_chunk_bytes)
        with path.open("rb") as handle:
            while not state.complete:
                if self._stop.is_set():
                    raise httpx.TransportError("stopping")
                handle.seek(state.received)
                data = handle.read(chunk)
                end = state.received + len(data) - 1
                headers = {
                    "Content-Range": f"bytes {state.received}-{end}/{info.size}",
                    "Content-Type": "application/octet-stream",
                }
                state = self._answer(
                    self._client.put(f"/v1/alerts/{info.alert_id}/clip", content=data, headers=headers)
                )
                self.clips.progress(info.alert_id, state.received)
                self.stats.chunks += 1
                self.stats.bytes += len(data)

    def _answer(self, response: httpx.Response) -> ClipUploadState:
        if response.status_code == 409 and "received" in response.text:
            return ClipUploadState.model_validate_json(response.text)  # resume from the centre's offset
        if response.is_success:
            return ClipUploadState.model_validate_json(response.text)
        message = f"HTTP {response.status_code}: {response.text[:300]}"
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            raise httpx.HTTPStatusError(message, request=response.request, response=response)
        raise ClipRefusedError(message)

    def _later(self, record: ClipRecord, exc: Exception) -> None:
        failures = self._failures.get(record.alert_id, 0) + 1
        self._failures[record.alert_id] = failures
        if isinstance(exc, ClipRefusedError):
            self.stats.refused += 1
            refusals = self._refusals[record.alert_id] = self._refusals.get(record.alert_id, 0) + 1
            delay = self.config.backoff.max_s
            logger.error("centre refused the clip of alert %s: %s", record.alert_id, exc)
            if refusals >= MAX_REFUSALS:
                self.clips.park(record.alert_id, f"refused {refusals} times: {exc}")
                self._refusals.pop(record.alert_id, None)
                return
        else:
            self.stats.retried += 1
            delay = self.config.backoff.delay(failures - 1)
            logger.warning(
                "clip of alert %s not delivered (%s); retrying in %.1f s", record.alert_id, exc, delay
            )
        self.clips.retry_at(record.alert_id, time.time() + delay, str(exc))

    def _forget_old(self) -> None:
        """Delete the files of clips the centre has held for longer than `keep_sent_s`."""
        now = time.monotonic()
        if now - self._swept < 60.0:
            return
        self._swept = now
        for record in self.clips.sent_before(time.time() - self.keep_sent_s):
            record.path.unlink(missing_ok=True)
            self.clips.forget(record.alert_id)
