"""The result of one doctor check."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any


class Status(enum.StrEnum):
    """How a check came out; only `fail` makes `gridwatch doctor` exit 1."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    """One thing checked: its name, how it came out, what was found, and the command that fixes it.

    Example:
        >>> Check.fail("model yolov3-tiny-coco", "not cached", fix="gridwatch models pull yolov3-tiny-coco")
    """

    name: str
    status: Status
    detail: str
    fix: str = ""

    @classmethod
    def ok(cls, name: str, detail: str) -> Check:
        """A check that passed."""
        return cls(name, Status.OK, detail)

    @classmethod
    def fail(cls, name: str, detail: str, *, fix: str) -> Check:
        """A check that failed, with what to do about it."""
        return cls(name, Status.FAIL, detail, fix)

    @classmethod
    def warn(cls, name: str, detail: str, *, fix: str = "") -> Check:
        """Works, but not as configured or not as well as it could."""
        return cls(name, Status.WARN, detail, fix)

    @classmethod
    def skip(cls, name: str, detail: str) -> Check:
        """Not checked, because something it depends on failed."""
        return cls(name, Status.SKIP, detail)

    def to_json(self) -> dict[str, Any]:
        """The check as a JSON-ready dict."""
        return {**asdict(self), "status": self.status.value}


def all_well(checks: list[Check]) -> bool:
    """True when no check failed (warnings and skips do not count)."""
    return not any(check.status is Status.FAIL for check in checks)
