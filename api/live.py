"""Live changes: "event X changed" published after commit, pushed to the console's open pages.

Two roles behind one small interface:

- `ChangeFeed.publish(changes)` is called after a transaction that changed events has committed
  (from any thread). `notice(session, ...)` collects changes on the session as services make them;
  `commit_and_publish` commits and then publishes what was collected.
- `ChangeFeed.subscribe(scope_path)` gives one console page an async stream of the changes inside
  its user's grid subtree.

`LocalFeed` fans changes out inside one process (the embedded SQLite centre). The feed for several
replicas on PostgreSQL (`api.live_pg.PgFeed`, LISTEN/NOTIFY) implements `publish` as a NOTIFY as
well and hands what it hears from other replicas to the same `Fanout`, so the console code does not
change.

Example:
    >>> feed = LocalFeed()
    >>> feed.publish([EventChange("DX-20261121-FIRE-0001", "/DXC/DX/DX-T01/", "opened")])  # no one listens
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

QUEUE_SIZE = 256
PENDING = "gridwatch.live.pending"


@dataclass(frozen=True)
class EventChange:
    """Event `code` (at `grid_path`) changed: opened, alert, action, comment or escalated."""

    code: str
    grid_path: str
    kind: str


class _Closed:
    """Put in a subscription's queue to end its stream."""


CLOSED = _Closed()


class Subscription:
    """One listener's queue of changes inside `scope_path`; `None` in the queue means "resync"."""

    def __init__(self, scope_path: str, loop: asyncio.AbstractEventLoop) -> None:
        self.scope_path = scope_path
        self.loop = loop
        self.queue: asyncio.Queue[EventChange | _Closed | None] = asyncio.Queue(QUEUE_SIZE + 1)
        self.closed = False

    def offer(self, change: EventChange | None) -> None:
        """Queue a change (on the subscriber's loop); a full queue collapses into one resync (None)."""
        if self.closed:
            return
        if self.queue.qsize() >= QUEUE_SIZE:
            while not self.queue.empty():
                self.queue.get_nowait()
            change = None
        self.queue.put_nowait(change)

    def close(self) -> None:
        """End the stream after what is queued (on the subscriber's loop)."""
        self.closed = True
        self.queue.put_nowait(CLOSED)

    async def changes(self, timeout_s: float) -> AsyncIterator[EventChange | None]:
        """Changes as they come; `None` after `timeout_s` of silence or on overflow; ends once closed."""
        while True:
            try:
                change = await asyncio.wait_for(self.queue.get(), timeout_s)
            except TimeoutError:
                change = None
            if isinstance(change, _Closed):
                return
            yield change


class Fanout:
    """Hands each change to the subscriptions whose scope holds it; safe to call from any thread."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()

    def deliver(self, changes: Sequence[EventChange]) -> None:
        """Offer `changes` to every subscription in scope."""
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            mine = [c for c in changes if c.grid_path.startswith(sub.scope_path)]
            for change in mine:
                with contextlib.suppress(RuntimeError):  # the loop closed under us: nothing to tell
                    sub.loop.call_soon_threadsafe(sub.offer, change)

    @contextlib.contextmanager
    def subscribe(self, scope_path: str) -> Iterator[Subscription]:
        """A subscription for the block's duration (call on the event loop)."""
        sub = Subscription(scope_path, asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        try:
            yield sub
        finally:
            with self._lock:
                self._subs.discard(sub)

    def resync(self) -> None:
        """Tell every subscription it may have missed changes (its page refreshes), e.g. after the
        feed between replicas was down for a while."""
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            with contextlib.suppress(RuntimeError):
                sub.loop.call_soon_threadsafe(sub.offer, None)

    def close_all(self) -> None:
        """End every subscription's stream (server shutting down)."""
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            with contextlib.suppress(RuntimeError):
                sub.loop.call_soon_threadsafe(sub.close)

    def __len__(self) -> int:
        with self._lock:
            return len(self._subs)


class ChangeFeed(Protocol):
    """Where committed event changes go, and where console pages listen."""

    fanout: Fanout

    def publish(self, changes: Sequence[EventChange]) -> None:
        """Tell every listener (of every replica the feed spans) about committed changes."""


class LocalFeed:
    """The in-process feed: publishing is delivering."""

    def __init__(self) -> None:
        self.fanout = Fanout()

    def publish(self, changes: Sequence[EventChange]) -> None:
        """Deliver to this process's subscriptions."""
        if changes:
            self.fanout.deliver(changes)


def notice(session: Session, *, code: str, grid_path: str, kind: str) -> None:
    """Remember on `session` that event `code` changed; published by `commit_and_publish`."""
    pending: dict[str, EventChange] = session.info.setdefault(PENDING, {})
    pending[code] = EventChange(code, grid_path, kind)


def commit_and_publish(session: Session, feed: ChangeFeed) -> None:
    """Commit, then publish the changes noticed on `session` (nothing is published if commit fails)."""
    session.commit()
    pending: dict[str, EventChange] = session.info.pop(PENDING, {})
    if pending:
        feed.publish(list(pending.values()))


def discard(session: Session) -> None:
    """Forget noticed changes (after a rollback)."""
    session.info.pop(PENDING, None)
