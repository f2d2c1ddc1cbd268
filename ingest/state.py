"""The connection state of a video source, its history and counters, safe to read from any thread."""

from __future__ import annotations

import enum
import logging
import threading
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

logger = logging.getLogger(__name__)


class SourceState(enum.StrEnum):
    """Where a source stands.

    ``connecting``: opening the file or stream. ``streaming``: frames arrive. ``stalled``: the stream was
    open but no frame came within the read timeout, or the connection dropped; a reconnect follows.
    ``offline``: the last attempt to open failed; a reconnect follows after a backoff. ``finished``: a
    file was read to its end. ``closed``: the consumer closed the source. ``failed``: a file could not
    be opened or read; nothing more will come.
    """

    CONNECTING = "connecting"
    STREAMING = "streaming"
    STALLED = "stalled"
    OFFLINE = "offline"
    FINISHED = "finished"
    CLOSED = "closed"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """True once the source will deliver no more frames."""
        return self in {SourceState.FINISHED, SourceState.CLOSED, SourceState.FAILED}


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of state: the new state, when (UTC) and why."""

    state: SourceState
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A snapshot of a source's state and counters, for health endpoints and logs."""

    state: SourceState
    since: datetime
    reconnects: int = 0
    """Times the source was open again after losing its stream or failing to open."""
    failed_opens: int = 0
    frames_read: int = 0
    """Frames read from the source, skipped ones included."""
    frames_skipped: int = 0
    """Frames not decoded because of decimation."""
    frames_dropped: int = 0
    """Kept frames discarded because the consumer was slower than the stream: a newer frame took their
    place before the consumer took them (live streams, realtime files). Frames skipped by decimation are
    ``frames_skipped``, not dropped."""
    last_frame_at: datetime | None = None
    last_error: str = ""
    transitions: tuple[Transition, ...] = field(default_factory=tuple)
    """The most recent transitions, oldest first."""


class HealthTracker:
    """Record state transitions and counters of one source under a lock.

    Example:
        >>> tracker = HealthTracker("gate-1")
        >>> tracker.enter(SourceState.STREAMING, "opened")
        >>> tracker.snapshot().state
        <SourceState.STREAMING: 'streaming'>
    """

    HISTORY = 64

    def __init__(self, source_id: str) -> None:
        self._source_id = source_id
        self._lock = threading.Lock()
        first = Transition(SourceState.CONNECTING, datetime.now(UTC), "created")
        self._history: deque[Transition] = deque([first], maxlen=self.HISTORY)
        self._health = SourceHealth(state=first.state, since=first.at)

    @property
    def state(self) -> SourceState:
        """The current state."""
        with self._lock:
            return self._health.state

    def enter(self, state: SourceState, reason: str = "") -> None:
        """Move to ``state`` and log the change; a no-op if already there or in a final state."""
        with self._lock:
            if state == self._health.state or self._health.state.is_final:
                return
            transition = Transition(state, datetime.now(UTC), reason)
            self._history.append(transition)
            self._health = replace(self._health, state=state, since=transition.at)
        logger.info("source %s: %s (%s)", self._source_id, state.value, reason)

    def count(self, **increments: int) -> None:
        """Add to counters by name, e.g. ``count(frames_read=1)``."""
        with self._lock:
            updates = {name: getattr(self._health, name) + n for name, n in increments.items()}
            self._health = replace(self._health, **updates)

    def frame_read(self, at: datetime) -> None:
        """Count one frame read from the source at ``at``."""
        with self._lock:
            self._health = replace(self._health, frames_read=self._health.frames_read + 1, last_frame_at=at)

    def error(self, message: str) -> None:
        """Remember the most recent error."""
        with self._lock:
            self._health = replace(self._health, last_error=message)

    def snapshot(self) -> SourceHealth:
        """Return the current state, counters and recent transitions."""
        with self._lock:
            return replace(self._health, transitions=tuple(self._history))
