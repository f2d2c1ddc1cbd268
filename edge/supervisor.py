"""Keep the threads that carry the edge box's feeds alive, and say when one is down.

A watchdog thread looks at every supervised thread a few times a second (Frigate's watchdog does the
same for its detector processes). A thread that ends by raising, or an outside thread that is no
longer alive (paho's network thread), is marked down, counted and restarted after a jittered
exponential backoff; the backoff starts again once the thread has run for ``stable_s``. A thread of
ours that returns normally has finished its work (a file was read to its end) and is not restarted.
While any thread is down, ``healthy`` is False and ``health()`` names it, for /healthz.

Example:
    >>> supervisor = Supervisor()
    >>> supervisor.spawn("publisher", publisher_loop)
    >>> supervisor.watch("mqtt-feed", alive=lambda: feed.running, restart=feed.restart)
    >>> supervisor.start()
    >>> supervisor.down()  # [] while every thread runs
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest.backoff import Backoff, BackoffConfig

logger = logging.getLogger(__name__)

RESTART_BACKOFF = BackoffConfig(initial_s=1.0, max_s=60.0)
"""Default delays before restarting a thread that died: about 1 s, then 2, 4, ... up to 60 s."""


class ThreadState(enum.StrEnum):
    """Where a supervised thread stands."""

    RUNNING = "running"
    DOWN = "down"
    """It died; a restart follows after the backoff."""
    FINISHED = "finished"
    """It returned (its work is done) or its owner stopped it; never restarted."""


@dataclass(frozen=True)
class ThreadHealth:
    """A snapshot of one supervised thread, for /healthz and /metrics."""

    name: str
    state: ThreadState
    since: datetime
    deaths: int
    restarts: int
    last_error: str


@dataclass
class _Task:
    """One supervised thread; mutable, guarded by the supervisor's lock."""

    name: str
    target: Callable[[], None] | None
    alive: Callable[[], bool] | None
    restart: Callable[[], None] | None
    backoff: Backoff
    state: ThreadState = ThreadState.RUNNING
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.monotonic)
    restart_at: float = 0.0
    deaths: int = 0
    restarts: int = 0
    last_error: str = ""
    released: bool = False
    thread: threading.Thread | None = None


class Supervisor:
    """Start, watch and restart named threads; see the module docstring."""

    def __init__(
        self, *, backoff: BackoffConfig = RESTART_BACKOFF, check_s: float = 0.2, stable_s: float = 60.0
    ) -> None:
        self._backoff = backoff
        self._check_s = check_s
        self._stable_s = stable_s
        self._tasks: dict[str, _Task] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def spawn(self, name: str, target: Callable[[], None]) -> None:
        """Run ``target`` on a new thread called ``name`` now; restart it whenever it raises."""
        task = _Task(name, target, None, None, Backoff(self._backoff))
        self._add(task)
        self._start_thread(task)

    def watch(self, name: str, *, alive: Callable[[], bool], restart: Callable[[], None]) -> None:
        """Watch a thread someone else runs: when ``alive()`` turns False, call ``restart()``."""
        self._add(_Task(name, None, alive, restart, Backoff(self._backoff)))

    def start(self) -> None:
        """Start the watchdog (once)."""
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="supervisor", daemon=True)
            self._watchdog.start()

    def release(self, name: str) -> None:
        """Its owner is stopping the thread ``name``: never restart it again."""
        with self._lock:
            task = self._tasks[name]
            task.released = True
            if task.state is ThreadState.DOWN or task.target is None:  # nothing of ours left to end
                self._enter(task, ThreadState.FINISHED)

    def forget(self, name: str) -> None:
        """Take the thread ``name`` off the books (released first), so that a new one may take the name;
        nothing when no such thread is supervised."""
        if name not in self._tasks:
            return
        self.release(name)
        with self._lock:
            del self._tasks[name]

    def join(self, name: str, timeout: float) -> bool:
        """Wait up to ``timeout`` s for our thread ``name`` to end; True when it has."""
        thread = self._tasks[name].thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Release every thread and stop the watchdog."""
        with self._lock:
            names = list(self._tasks)
        for name in names:
            self.release(name)
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout)

    def health(self) -> dict[str, ThreadHealth]:
        """Every supervised thread's state and counters."""
        with self._lock:
            return {
                t.name: ThreadHealth(t.name, t.state, t.since, t.deaths, t.restarts, t.last_error)
                for t in self._tasks.values()
            }

    def down(self) -> list[str]:
        """Names of the threads that are down right now."""
        with self._lock:
            return [t.name for t in self._tasks.values() if t.state is ThreadState.DOWN]

    def active(self, names: list[str]) -> bool:
        """True while any of ``names`` runs or waits for its restart."""
        with self._lock:
            return any(self._tasks[n].state is not ThreadState.FINISHED for n in names)

    def _add(self, task: _Task) -> None:
        with self._lock:
            if task.name in self._tasks:
                raise ValueError(f"a thread named {task.name!r} is already supervised")
            self._tasks[task.name] = task

    def _start_thread(self, task: _Task) -> None:
        task.thread = threading.Thread(target=self._run, args=(task,), name=task.name, daemon=True)
        task.thread.start()

    def _run(self, task: _Task) -> None:
        """Our thread's body: the target, with its end reported to the supervisor."""
        assert task.target is not None
        try:
            task.target()
        except BaseException as exc:  # whatever ended it, the watchdog must learn of it
            logger.exception("thread %s died", task.name)
            self._died(task, f"{type(exc).__name__}: {exc}")
        else:
            with self._lock:
                self._enter(task, ThreadState.FINISHED)

    def _watch(self) -> None:
        while not self._stop.wait(self._check_s):
            with self._lock:
                tasks = list(self._tasks.values())
            for task in tasks:
                try:
                    self._check(task)
                except Exception:  # one thread's restart must not end the watchdog
                    logger.exception("supervisor: checking thread %s failed", task.name)

    def _check(self, task: _Task) -> None:
        now = time.monotonic()
        running = task.state is ThreadState.RUNNING and not task.released
        if running and task.alive is not None and not task.alive():
            self._died(task, "its thread is no longer running")
        if task.state is ThreadState.RUNNING and now - task.started >= self._stable_s:
            task.backoff.reset()
        if task.state is ThreadState.DOWN and not task.released and now >= task.restart_at:
            self._restart(task)

    def _restart(self, task: _Task) -> None:
        logger.warning("restarting thread %s (restart #%d)", task.name, task.restarts + 1)
        with self._lock:
            task.restarts += 1
            task.started = time.monotonic()
            self._enter(task, ThreadState.RUNNING)
        if task.restart is not None:
            try:
                task.restart()
            except Exception as exc:
                logger.exception("restarting thread %s failed", task.name)
                self._died(task, f"restart failed: {type(exc).__name__}: {exc}")
        else:
            self._start_thread(task)

    def _died(self, task: _Task, error: str) -> None:
        with self._lock:
            task.deaths += 1
            task.last_error = error[:300]
            if task.released:
                self._enter(task, ThreadState.FINISHED)
                return
            delay = task.backoff.next_delay()
            task.restart_at = time.monotonic() + delay
            self._enter(task, ThreadState.DOWN)
        logger.error("thread %s is down (%s); restarting in %.1f s", task.name, error, delay)

    @staticmethod
    def _enter(task: _Task, state: ThreadState) -> None:
        if task.state is not state:
            task.state = state
            task.since = datetime.now(UTC)
