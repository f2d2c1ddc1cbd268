"""Start, stop, pause and restart the loopback RTSP server of ``rtsp_server.py`` from tests."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

SYSTEM_PYTHON = Path("/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
CLIPS_DIR = Path(os.environ.get("GRIDWATCH_CLIPS", REPO_ROOT.parent / "shared" / "clips"))
INSTALL_HINT = (
    "the RTSP tests need GStreamer's RTSP server for the system Python: apt-get install python3-gi "
    "gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good "
    "gstreamer1.0-plugins-bad (scripts/test installs them)"
)


class RtspServerError(RuntimeError):
    """The test RTSP server could not be started."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RtspServer:
    """One loopback RTSP server process serving a clip in a loop at ``url``; restartable on its port.

    Example:
        >>> server = RtspServer(CLIPS_DIR / "one-by-one-person-detection.mp4", log=tmp_path / "rtsp.log")
        >>> server.start()
        >>> server.url  # rtsp://127.0.0.1:PORT/cam
        >>> server.stop()
    """

    START_TIMEOUT_S = 20.0

    def __init__(
        self,
        clip: Path,
        log: Path,
        port: int | None = None,
        path: str = "/cam",
        python: Path = SYSTEM_PYTHON,
        frames: int | None = None,
    ) -> None:
        self.clip = clip
        self.frames = frames
        self.log = log
        self.python = python
        self.port = port or free_port()
        self.path = path
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        """The stream's RTSP URL."""
        return f"rtsp://127.0.0.1:{self.port}{self.path}"

    def start(self) -> None:
        """Start the server and wait until it listens; raise ``RtspServerError`` with its output if not."""
        if not self.python.exists():
            raise RtspServerError(f"{self.python} not found; {INSTALL_HINT}")
        if not self.clip.is_file():
            raise RtspServerError(f"clip not found: {self.clip} (set GRIDWATCH_CLIPS to the clips folder)")
        command = [str(self.python), str(SERVER_SCRIPT), "--clip", str(self.clip), "--port", str(self.port)]
        with self.log.open("a") as log:
            self._process = subprocess.Popen(
                [*command, "--path", self.path, *self._frames_option()],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self._wait_ready(self._process)

    def pause(self) -> None:
        """Freeze the server with SIGSTOP: connections stay open, nothing is sent or answered."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server run again (SIGCONT)."""
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        """Kill the server (resuming it first if paused) and reap it; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
        process.communicate(timeout=10)

    def _frames_option(self) -> list[str]:
        return [] if self.frames is None else ["--frames", str(self.frames)]

    def _signal(self, signum: signal.Signals) -> None:
        if self._process is None:
            raise RtspServerError("the RTSP server is not running")
        self._process.send_signal(signum)

    def _wait_ready(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        deadline = time.monotonic() + self.START_TIMEOUT_S
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([process.stdout], [], [], left)
            line = process.stdout.readline() if readable else ""
            if line.strip() == "READY":
                return
            if readable and not line:
                break
        self.stop_with_error("did not report READY")

    def stop_with_error(self, what: str) -> None:
        """Kill the server and raise ``RtspServerError`` with its stderr and the install hint."""
        self.stop()
        stderr = self.log.read_text().strip()
        raise RtspServerError(f"RTSP server on port {self.port} {what}: {stderr}\n{INSTALL_HINT}")
