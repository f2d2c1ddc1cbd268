"""A console page's live stream as a browser holds it: log in to one replica, read `GET /live`
(server-sent events) in a thread and note when each `change` arrives."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class LiveStream:
    """`GET /live` of the console at `url`, logged in as `username`; `changes` fills as events come."""

    url: str
    username: str
    password: str
    changes: list[tuple[float, dict[str, str]]] = field(default_factory=list)
    """(`time.time()` when it arrived, the change's data) in order."""
    opened: threading.Event = field(default_factory=threading.Event)
    _client: httpx.Client | None = None
    _thread: threading.Thread | None = None

    def start(self) -> LiveStream:
        self._client = httpx.Client(base_url=self.url, timeout=httpx.Timeout(10, read=60))
        form = self._client.get("/login")
        token = CSRF.search(form.text)
        assert token is not None, form.text[:2000]
        data = {
            "username": self.username,
            "password": self.password,
            "csrf_token": token.group(1),
            "next": "/",
        }
        reply = self._client.post("/login", data=data, follow_redirects=False)
        assert reply.status_code == 303, reply.text[:2000]
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self.opened.wait(15), "the live stream did not open"
        return self

    def _read(self) -> None:
        assert self._client is not None
        try:
            with self._client.stream("GET", "/live") as response:
                assert response.status_code == 200
                event = ""
                for line in response.iter_lines():
                    self.opened.set()
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: ") and event == "change":
                        self.changes.append((time.time(), json.loads(line.removeprefix("data: "))))
        except httpx.HTTPError:
            pass  # closed by stop()

    def arrival(self, code: str) -> float | None:
        """When the first change of event `code` arrived, if it has."""
        return next((at for at, change in list(self.changes) if change["code"] == code), None)

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
