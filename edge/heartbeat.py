"""The box's heartbeat: every `heartbeat_s` seconds, its status to `POST /v1/devices/me/heartbeat`.

Built from what the worker already tracks — each camera's source state and frame counter, the outbox,
each sensor's latest message — plus the worker's own CPU and memory. A heartbeat that cannot be sent
is dropped (the next one says the same, newer); failures are logged once per outage, not per try.

Example:
    >>> sender = HeartbeatSender(api_config, build, interval_s=15)  # doctest: +SKIP
    >>> supervisor.spawn("heartbeat", sender.run)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from edge.config import ApiConfig
from gridwatch import __version__
from gridwatch.contracts.heartbeat import CameraStatus, Heartbeat, SensorStatus

logger = logging.getLogger(__name__)

PATH = "/v1/devices/me/heartbeat"
STATM = Path("/proc/self/statm")


@dataclass
class Usage:
    """CPU share since the last look, and resident memory, of this process."""

    _cpu: float = field(default_factory=lambda: sum(os.times()[:2]))
    _at: float = field(default_factory=time.monotonic)

    def cpu_percent(self) -> float:
        """% of one core used since the previous call (or since creation)."""
        cpu, at = sum(os.times()[:2]), time.monotonic()
        share = 100.0 * (cpu - self._cpu) / max(at - self._at, 1e-6)
        self._cpu, self._at = cpu, at
        return round(max(share, 0.0), 1)

    @staticmethod
    def memory_bytes() -> int | None:
        """Resident set size (Linux /proc), or None elsewhere."""
        try:
            return int(STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return None


@dataclass
class FrameRates:
    """Frames per second of each camera between two heartbeats, from its frame counter."""

    _last: dict[str, tuple[int, float]] = field(default_factory=dict)

    def fps(self, camera_id: str, frames: int) -> float:
        """Frames per second since the previous call for this camera (0 on the first)."""
        now = time.monotonic()
        before = self._last.get(camera_id)
        self._last[camera_id] = (frames, now)
        if before is None or now <= before[1]:
            return 0.0
        return round(max(frames - before[0], 0) / (now - before[1]), 2)


def build_heartbeat(
    *,
    device_id: str,
    started: float,
    cameras: Mapping[str, tuple[str, int]],
    sensors: Mapping[str, datetime | None],
    outbox: tuple[int, int],
    rates: FrameRates,
    usage: Usage,
) -> Heartbeat:
    """A heartbeat from the worker's numbers: cameras id → (state, frames), sensors id → last message."""
    return Heartbeat(
        device_id=device_id,
        sent_at=datetime.now(UTC),
        version=__version__,
        uptime_s=round(time.monotonic() - started, 1),
        outbox_depth=outbox[0],
        parked=outbox[1],
        cpu_percent=usage.cpu_percent(),
        memory_bytes=usage.memory_bytes(),
        cameras=[
            CameraStatus(id=cid, state=state, fps=rates.fps(cid, frames), frames=frames)
            for cid, (state, frames) in cameras.items()
        ],
        sensors=[SensorStatus(id=sid, last_message_at=at) for sid, at in sensors.items()],
    )


class HeartbeatSender:
    """Posts `build()` every `interval_s` until `stop` is set; one try per beat, no queue."""

    def __init__(
        self, api: ApiConfig, build: Callable[[], Heartbeat], *, interval_s: float, stop: threading.Event
    ) -> None:
        self._api, self._build, self._interval_s, self._stop = api, build, interval_s, stop
        self.sent = 0
        self.failed = 0
        self._failing = False

    def run(self) -> None:
        """The loop (run it on a supervised thread): beat at once, then every `interval_s`."""
        timeout = min(self._api.timeout_s, self._interval_s)
        headers = {"Authorization": f"Bearer {self._api.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=self._api.url, timeout=timeout, headers=headers) as client:
            while not self._stop.is_set():
                self.beat(client)
                self._stop.wait(self._interval_s)

    def beat(self, client: httpx.Client) -> bool:
        """Send one heartbeat; True when the centre took it."""
        try:
            reply = client.post(PATH, content=self._build().model_dump_json())
            ok = reply.status_code == 200
            error = "" if ok else f"HTTP {reply.status_code}: {reply.text[:200]}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        self._note(ok, error)
        return ok

    def _note(self, ok: bool, error: str) -> None:
        if ok:
            self.sent += 1
            if self._failing:
                logger.info("heartbeats reach the centre again")
            self._failing = False
            return
        self.failed += 1
        if not self._failing:
            logger.warning(
                "heartbeat not taken by the centre (%s); trying every %.0f s", error, self._interval_s
            )
        self._failing = True
