"""Request hygiene before routing: bounded bodies (413), clean URLs (422 for NUL or invalid UTF-8).

Both are plain ASGI middleware, so nothing is buffered here. A body announced (Content-Length)
larger than the limit is refused with 413 the moment the route asks for it, before a byte is
read, so a route that checks the caller first (`POST /v1/alerts`) still answers 401/403 first; a
chunked body is counted while it streams and cut off with 413 as soon as it passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(HTTPException):
    """The request body passed the limit while it was being read (413)."""

    def __init__(self, limit: int, *, announced: int | None = None) -> None:
        size = "larger" if announced is None else f"of {announced} bytes: larger"
        message = f"the request body is {size} than this centre's limit of {limit} bytes"
        super().__init__(413, message, headers={"Connection": "close"})


async def _answer(send: Send, status: int, body: object) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """413 for request bodies over `limit` bytes (`per_path` overrides it for exact paths)."""

    def __init__(self, app: ASGIApp, *, limit: int, per_path: Mapping[str, int]) -> None:
        self.app = app
        self.limit = limit
        self.per_path = dict(per_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.limit)
        length = _content_length(scope)
        received = 0

        async def counted() -> Message:
            nonlocal received
            if length is not None and length > limit:
                raise BodyTooLargeError(limit, announced=length)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, counted, send)


def _query_problem(query: bytes) -> tuple[list[str | int], str] | None:
    for pair in query.split(b"&"):
        name_raw, _, value_raw = pair.partition(b"=")
        name = unquote_to_bytes(name_raw.replace(b"+", b" "))
        value = unquote_to_bytes(value_raw.replace(b"+", b" "))
        label = name.decode("utf-8", "replace")
        for part, what in ((name, "name"), (value, "value")):
            try:
                decoded = part.decode("utf-8")
            except UnicodeDecodeError:
                return ["query", label], f"the parameter {what} is not valid UTF-8"
            if "\x00" in decoded:
                return ["query", label], f"the parameter {what} contains a NUL character"
    return None


def url_problem(scope: Scope) -> tuple[list[str | int], str] | None:
    """Where and why a request's path or query cannot be taken (NUL, invalid UTF-8), or None."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    path = unquote_to_bytes(raw_path)
    try:
        if "\x00" in path.decode("utf-8"):
            return ["path"], "the path contains a NUL character"
    except UnicodeDecodeError:
        return ["path"], "the path is not valid UTF-8"
    return _query_problem(scope.get("query_string", b""))


class CleanUrl:
    """422 (in FastAPI's validation-error shape) for a path or query with NUL or invalid UTF-8."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = url_problem(scope) if scope["type"] == "http" else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        loc, message = problem
        await _answer(send, 422, {"detail": [{"loc": loc, "msg": message, "type": "value_error"}]})
