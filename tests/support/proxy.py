"""A real HTTP server on 127.0.0.1 in front of the real central API, failing chosen alerts on purpose.

`POST /v1/alerts` whose `alert_id` is in `fail` gets that status (and a JSON detail saying the proxy
made it up); every other request goes to the real API unchanged and its answer comes back unchanged.
What is injected is only the failing answer: the edge's HTTP client, the network and the API behind
are real. `attempts` counts the posts of each alert id.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import httpx

FORWARDED = ("Authorization", "Content-Type")


class FaultyProxy:
    """Forward to `upstream`, except alerts listed in `fail` (alert id → HTTP status).

    Example:
        >>> with FaultyProxy(centre.url, fail={"a-0": 500}) as proxy:
        ...     publisher = Publisher(outbox, ApiConfig(url=proxy.url, token=token))
    """

    def __init__(self, upstream: str, *, fail: dict[str, int] | None = None) -> None:
        self.upstream = upstream
        self.fail = dict(fail or {})
        self.attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=upstream, timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="faulty-proxy", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """The status and body for one request: made up for a failing alert, else the API's."""
        if method == "POST" and path == "/v1/alerts":
            alert_id = str(json.loads(body).get("alert_id"))
            with self._lock:
                self.attempts[alert_id] += 1
                status = self.fail.get(alert_id)
            if status is not None:
                detail = {"detail": f"HTTP {status} made up by the test proxy for alert {alert_id}"}
                return status, json.dumps(detail).encode()
        response = self._client.request(method, path, headers=headers, content=body or None)
        return response.status_code, response.content


def _handler(proxy: FaultyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._relay("POST")

        def do_GET(self) -> None:
            self._relay("GET")

        def _relay(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name: value for name in FORWARDED if (value := self.headers.get(name)) is not None}
            status, content = proxy.answer(method, self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:  # the stdlib's signature; keep quiet
            return

    return Handler
