"""The operator console in `gridwatch demo`: a demo login, where to open it, and `--serve`.

The demo creates one console user (`demo`, a supervisor of the demo county, so every action can be
tried) with a fresh random password each run, printed at the end with the console's URL.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import time
from dataclasses import dataclass

import httpx

DEMO_USER = "demo"
DEMO_SCOPE = "DX"  # the demo county
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ConsoleLogin:
    """Where the console is and how to log in."""

    url: str
    username: str
    password: str
    serving: bool

    def where(self) -> str:
        """The line the demo prints: URL and login, and how to open it once the demo stopped the centre."""
        login = f"{self.url}/  login: {self.username} / {self.password}"
        if self.serving:
            return f"{login}  (open now; Ctrl-C stops the centre)"
        port = self.url.rsplit(":", 1)[-1]
        return f"{login}  (run `gridwatch demo --serve`, or the serve command below with --port {port})"


def new_password() -> str:
    """A fresh random password for the demo login (never the same twice)."""
    return secrets.token_urlsafe(9)


def port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:`port` can be listened on."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def serve_until_interrupted(url: str) -> None:
    """Block until Ctrl-C (or until the centre stops answering)."""
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(1.0)
            try:
                httpx.get(f"{url}/healthz", timeout=5).raise_for_status()
            except httpx.HTTPError:
                return
