"""One background thread of the clips, run under the edge box's supervisor (restarted if it dies)."""

from __future__ import annotations

from collections.abc import Callable

from edge.supervisor import Supervisor


class SupervisedThread:
    """`target` on a thread named `name`, under `supervisor` (a private one when none is given).

    Example:
        >>> thread = SupervisedThread("clip-sender", loop, supervisor)
        >>> thread.start(); ...; thread.join(5)
    """

    def __init__(self, name: str, target: Callable[[], None], supervisor: Supervisor | None) -> None:
        self.name = name
        self.target = target
        self._own = supervisor is None
        self.supervisor = supervisor or Supervisor()
        self.started = False

    def start(self) -> None:
        """Start it (and a private supervisor's watchdog)."""
        self.supervisor.spawn(self.name, self.target)
        self.started = True
        if self._own:
            self.supervisor.start()

    def join(self, timeout: float) -> bool:
        """Its owner stops it: never restart it, wait up to `timeout` s; True when it has ended."""
        if not self.started:
            return True
        self.supervisor.release(self.name)
        ended = self.supervisor.join(self.name, timeout)
        if self._own:
            self.supervisor.stop()
        return ended
