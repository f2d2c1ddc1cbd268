"""Evidence files in a local folder (the embedded default)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from pydantic import Field

from api.storage.base import BLOCK, StorageError, check_key
from gridwatch.strict import Strict


class LocalStoreConfig(Strict):
    """A folder on the centre's disk."""

    type: Literal["local"] = Field(default="local", description="A local folder")
    path: Path = Field(default=Path("gridwatch-evidence"), description="Folder of the evidence files")


class LocalStore:
    """Objects as files under one folder; writes go to a temporary file first, then are renamed.

    Example:
        >>> store = LocalStore(LocalStoreConfig(path=tmp_path))
        >>> store.put_bytes("a/b.bin", b"xyz"); store.size("a/b.bin")
        3
    """

    def __init__(self, config: LocalStoreConfig) -> None:
        self.root = config.path
        self.root.mkdir(parents=True, exist_ok=True)
        self.name = f"local:{self.root}"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key`."""
        self._write(key, lambda handle: handle.write(data))

    def put_file(self, key: str, path: Path) -> None:
        """Copy the file at `path` under `key`."""
        with path.open("rb") as source:
            self._write(key, lambda handle: shutil.copyfileobj(source, handle, BLOCK * 16))

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes `start`..`end` (inclusive) of the object, in 64 KiB blocks."""
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"{self.name}: no object {key!r}")
        return _blocks(path, start, end)

    def size(self, key: str) -> int | None:
        """The object's size, or None."""
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    def delete(self, key: str) -> None:
        """Remove the object."""
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> list[str]:
        """Keys starting with `prefix`."""
        found = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(k for k in found if k.startswith(prefix) and not k.endswith(".tmp"))

    def _write(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                fill(handle)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _blocks(path: Path, start: int, end: int | None) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        left = None if end is None else end - start + 1
        while left is None or left > 0:
            block = handle.read(BLOCK if left is None else min(BLOCK, left))
            if not block:
                return
            if left is not None:
                left -= len(block)
            yield block
