"""HTTP `Range: bytes=...` requests (RFC 9110 §14), one range at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start`..`end` of a representation, both inclusive."""

    start: int
    end: int


def parse_range(header: str | None, size: int) -> ByteRange | Literal["unsatisfiable"] | None:
    """The one range `header` asks of a `size`-byte body; None: serve it whole (no, several or a
    malformed range, which RFC 9110 lets a server ignore); "unsatisfiable": answer 416.

    Example:
        >>> parse_range("bytes=0-99", 1000), parse_range("bytes=-100", 1000)
        (ByteRange(start=0, end=99), ByteRange(start=900, end=999))
    """
    if header is None or not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header[len("bytes=") :].strip().partition("-")
    if not sep or not (first.isdigit() or last.isdigit()) or (first and not first.isdigit()):
        return None
    if last and not last.isdigit():
        return None
    if not first:  # a suffix: the last N bytes
        suffix = int(last)
        return "unsatisfiable" if suffix == 0 or size == 0 else ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if start >= size:
        return "unsatisfiable"
    end = min(int(last), size - 1) if last else size - 1
    return None if end < start else ByteRange(start, end)
