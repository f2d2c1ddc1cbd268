"""Free and writable disk where GridWatch keeps its outbox, evidence or database."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from gridwatch.doctor.check import Check

GIB = 1024**3


def free_disk(path: Path, *, what: str, min_free_bytes: int, setting: str) -> Check:
    """`path` (or the folder that will hold it) is writable and has `min_free_bytes` free.

    `setting` names where the path is configured, for the fix ("data_dir in edge.yaml").
    """
    name = f"disk for {what}"
    existing = _nearest_existing(path.resolve())
    if not os.access(existing, os.W_OK | os.X_OK):
        return Check.fail(
            name, f"{existing} is not writable by this user (holds {path})",
            fix=f"sudo chown -R $(id -un) {shlex.quote(str(existing))}   (or point {setting} elsewhere)",
        )  # fmt: skip
    usage = shutil.disk_usage(existing)
    detail = f"{usage.free / GIB:.1f} GiB free of {usage.total / GIB:.0f} GiB at {existing}"
    if usage.free < min_free_bytes:
        return Check.fail(
            name, f"{detail}; wanted at least {min_free_bytes / GIB:.1f} GiB",
            fix=f"free space on that disk (du -sh {shlex.quote(str(existing))}/*) or point {setting} at a "
            "larger disk",
        )  # fmt: skip
    return Check.ok(name, detail)


def _nearest_existing(path: Path) -> Path:
    """`path` itself, or its closest ancestor that exists (where it would be created)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or "/")
