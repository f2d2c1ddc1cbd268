"""The object store interface: whole objects in, byte ranges out. Keys are `/`-separated paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

BLOCK = 1 << 16
"""Bytes read or streamed at a time."""


class StorageError(RuntimeError):
    """The store failed or refused; the message names the key and the store."""


class ObjectStore(Protocol):
    """What the centre needs of a store of evidence files.

    Example:
        >>> store.put_file("clips/edge-01/a1.mp4", path)
        >>> b"".join(store.read("clips/edge-01/a1.mp4", 0, 99))  # the first 100 bytes
    """

    name: str

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing what was there)."""

    def put_file(self, key: str, path: Path) -> None:
        """Store the file at `path` under `key` (replacing what was there)."""

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes `start`..`end` (inclusive; None: to the end) of the object, in blocks."""

    def size(self, key: str) -> int | None:
        """The object's size, or None when there is no such object."""

    def delete(self, key: str) -> None:
        """Remove the object (no error when it is not there)."""

    def keys(self, prefix: str) -> list[str]:
        """Keys that start with `prefix`, sorted."""


def check_key(key: str) -> str:
    """`key` when it is a safe relative path (no `..`, no leading `/`, no empty parts)."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StorageError(f"object key {key!r} is not a clean relative path")
    return key
