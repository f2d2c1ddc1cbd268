"""OpenCV's FFmpeg capture options, which live in one process-wide environment variable.

OpenCV reads ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` when a capture opens. Live streams and files need different
options: a live stream wants ``fflags;nobuffer`` so that the packets FFmpeg reads while probing the stream
(about 3 s of video) are not replayed first, which would put every frame seconds behind the camera and
hide a stall behind that backlog; a file must not have it, because it would lose its first frames.
So the variable is set for one kind of source at a time: opens of the same kind run together, an open of
the other kind waits until they are done. Once no open is in flight the variable is put back as it was,
so that code elsewhere that opens captures directly sees the user's own setting.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
LIVE_DEFAULTS = {"rtsp_transport": "tcp", "fflags": "nobuffer"}
FILE_DEFAULTS = {"rtsp_transport": "tcp"}


def merge_options(user: str, defaults: dict[str, str]) -> str:
    """Return ``user``'s ``key;value|key;value`` options plus each default whose key the user left out."""
    keys = {item.split(";", 1)[0] for item in user.split("|") if item}
    extra = [f"{key};{value}" for key, value in defaults.items() if key not in keys]
    return "|".join(item for item in [user, *extra] if item)


class CaptureOptionsGate:
    """Let opens of one kind (live or file) run at a time, each with its kind's FFmpeg options set.

    Example:
        >>> gate = CaptureOptionsGate()
        >>> with gate.applied(live=True):
        ...     capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._user: str | None = None
        self._live = False
        self._active = 0
        self._waiting = {True: 0, False: 0}

    @contextmanager
    def applied(self, *, live: bool) -> Iterator[None]:
        """Hold the options of ``live`` (or file) sources in the environment for the block's duration."""
        self._enter(live)
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                if self._active == 0:
                    self._restore()
                self._changed.notify_all()

    def _enter(self, live: bool) -> None:
        with self._changed:
            self._waiting[live] += 1
            self._changed.wait_for(lambda: self._may_enter(live))
            self._waiting[live] -= 1
            if self._active == 0:
                self._apply(live)
            self._active += 1

    def _may_enter(self, live: bool) -> bool:
        """Free, or the same kind is open and the other kind is not waiting (so neither starves)."""
        return self._active == 0 or (self._live == live and self._waiting[not live] == 0)

    def _apply(self, live: bool) -> None:
        self._user = os.environ.get(ENV)
        os.environ[ENV] = merge_options(self._user or "", LIVE_DEFAULTS if live else FILE_DEFAULTS)
        self._live = live

    def _restore(self) -> None:
        if self._user is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = self._user
