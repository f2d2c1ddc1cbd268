"""A raw HTTP/1.1 client for oversized uploads: it streams a body as a real client would and stops as
soon as the server answers or closes, so a server that refuses early is seen refusing early."""

from __future__ import annotations

import select
import socket
from pathlib import Path

PIECE = 64 * 1024


def post_large(
    port: int, path: str, *, size: int, token: str, chunked: bool = False, timeout_s: float = 60.0
) -> tuple[int | None, int]:
    """POST `size` bytes of JSON-ish filler to 127.0.0.1:`port`; (status or None when the server
    closed without an answer, bytes of body actually sent before the server answered or closed)."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    )
    piece = b"7" * PIECE
    frame = f"{PIECE:x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(head.encode())
        sent = _stream(sock, frame, size, timeout_s)
        if sent >= size and chunked:
            _send_quietly(sock, b"0\r\n\r\n")
        return _status(sock), sent


def _stream(sock: socket.socket, frame: bytes, size: int, timeout_s: float) -> int:
    sent = 0
    while sent < size:
        readable, writable, _ = select.select([sock], [sock], [], timeout_s)
        if readable or not writable:
            break
        if not _send_quietly(sock, frame):
            break
        sent += PIECE
    return sent


def _send_quietly(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def _status(sock: socket.socket) -> int | None:
    try:
        first = sock.recv(4096)
    except (ConnectionResetError, TimeoutError):
        return None
    if not first.startswith(b"HTTP/1.1 "):
        return None
    return int(first.split(b" ", 2)[1])


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of a live process from /proc (`VmRSS` now, `VmHWM` its peak), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")
