"""Clip jobs: one per alert, from the pre-roll to `post_s` after the alert (longer while it goes on),
and the finisher that turns a recorded `.part` into a ready, hashed clip in the queue."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from edge.clips.media import ClipMediaError, FrameWriter, PacketWriter, finish
from edge.clips.queue import ClipQueue, ClipState
from edge.clips.threads import SupervisedThread
from edge.supervisor import Supervisor
from gridwatch.contracts import ClipInfo

logger = logging.getLogger(__name__)


@dataclass
class ClipJob:
    """The clip of one alert while it records. Times are on the camera's clip clock."""

    alert_id: str
    alert_t: float
    observed_at: datetime
    end_t: float
    max_end_t: float
    tracks: frozenset[int]
    part: Path
    final: Path
    buffer: str
    writer: PacketWriter | FrameWriter | None = None
    first_t: float | None = None
    last_t: float = field(default=float("-inf"))

    def extend(self, t: float, tracks: frozenset[int], post_s: float) -> None:
        """The alert's objects are still in view at `t`: keep recording `post_s` past it (to the maximum)."""
        if self.tracks & tracks:
            self.end_t = min(self.max_end_t, max(self.end_t, t + post_s))


@dataclass(frozen=True)
class Finished:
    """A recorded clip to finish."""

    alert_id: str
    part: Path
    final: Path
    alert_t: float
    first_t: float | None
    observed_at: datetime
    buffer: str
    truncated: bool


def clip_info(done: Finished, facts_path: Path) -> ClipInfo:
    """Remux `done.part` into `done.final` and describe the result for the centre."""
    facts = finish(done.part, facts_path)
    first_t = done.alert_t if done.first_t is None else done.first_t
    offset = max(0.0, done.alert_t - first_t)
    return ClipInfo(
        alert_id=done.alert_id,
        sha256=facts.sha256,
        size=facts.size,
        duration_s=facts.duration_s,
        started_at=done.observed_at - timedelta(seconds=offset),
        alert_offset_s=round(offset, 3),
        frames=facts.frames,
        width=facts.width,
        height=facts.height,
        source="packets" if done.buffer == "packets" else "frames",
        truncated=done.truncated,
    )


class ClipFinisher:
    """Finishes recorded clips on a thread of its own, so no camera waits for a remux and a hash.

    Example:
        >>> finisher = ClipFinisher(queue); finisher.start()
        >>> finisher.submit(Finished(...))  # later: the queue has it as ready
    """

    def __init__(
        self, clips: ClipQueue, *, max_pending_bytes: int | None = None, supervisor: Supervisor | None = None
    ) -> None:
        self.clips = clips
        self.max_pending_bytes = max_pending_bytes
        self.dropped = 0
        self.finished = 0
        self._todo: queue.Queue[Finished | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = SupervisedThread("clip-finisher", self._run, supervisor)

    def start(self) -> None:
        """Finish what a previous run left recording, then start the thread."""
        self.recover()
        self._thread.start()

    def submit(self, done: Finished) -> None:
        """Queue a recorded clip for finishing."""
        self._idle.clear()
        self._todo.put(done)

    def take(self) -> Finished | None:
        """The next queued clip, taken out unfinished (a benchmark finishes it itself); None if none."""
        try:
            return self._todo.get_nowait()
        except queue.Empty:
            return None

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything submitted is finished; True when it was in time."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is queued (for at most `timeout` s), then stop."""
        self._todo.put(None)
        self._thread.join(timeout)

    def recover(self) -> int:
        """Clips a killed box left `recording`: finish what their `.part` files hold, marked truncated."""
        stale = self.clips.in_state(ClipState.RECORDING)
        for record in stale:
            logger.warning(
                "clip of alert %s was cut short by a stop; finishing what was recorded", record.alert_id
            )
            self._finish(
                Finished(
                    record.alert_id,
                    record.part_path,
                    record.path,
                    record.alert_t,
                    record.first_t,
                    record.observed_at,
                    record.buffer,
                    truncated=True,
                )
            )
        return len(stale)

    def _enforce_bound(self) -> None:
        """Over `max_pending_bytes` of unsent clips: drop the oldest ones (recorded, logged as errors)."""
        if self.max_pending_bytes is None:
            return
        excess = self.clips.pending_bytes() - self.max_pending_bytes
        for record in self.clips.in_state(ClipState.READY):
            if excess <= 0 or record.info is None:
                return
            record.path.unlink(missing_ok=True)
            self.clips.failed(record.alert_id, f"dropped: unsent clips over {self.max_pending_bytes} bytes")
            logger.error(
                "clip store full: dropped the unsent clip of alert %s (%d bytes)",
                record.alert_id,
                record.info.size,
            )
            excess -= record.info.size
            self.dropped += 1

    def _run(self) -> None:
        while True:
            try:
                done = self._todo.get(timeout=0.5)
            except queue.Empty:
                self._idle.set()
                continue
            if done is None:
                self._idle.set()
                return
            self._finish(done)
            if self._todo.empty():
                self._idle.set()

    def _finish(self, done: Finished) -> None:
        if not done.part.exists():
            self.clips.failed(done.alert_id, f"nothing was recorded ({done.part.name} missing)")
            return
        try:
            info = clip_info(done, done.final)
        except (ClipMediaError, OSError, ValueError) as exc:
            logger.error("clip of alert %s could not be finished: %s", done.alert_id, exc)
            self.clips.failed(done.alert_id, str(exc))
            return
        done.part.unlink(missing_ok=True)
        self.clips.ready(done.alert_id, info)
        self.finished += 1
        self._enforce_bound()
        logger.info(
            "clip of alert %s ready: %.1f s, %d bytes%s",
            done.alert_id,
            info.duration_s,
            info.size,
            " (truncated)" if info.truncated else "",
        )
