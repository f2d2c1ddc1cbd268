"""The manifest of a case export and its verification (no database: a recipient runs it too)."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT: Literal["gridwatch-case-export/1"] = "gridwatch-case-export/1"
MANIFEST = "manifest.json"


class ManifestFile(BaseModel):
    """One file of the export."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="Path inside the zip")
    kind: Literal["event", "snapshot", "clip", "deletions"] = Field(description="What the file is")
    sha256: str = Field(description="sha256 of the file as stored in the zip")
    size: int = Field(ge=0, description="Bytes")
    alert_id: str | None = Field(default=None, description="The alert of a snapshot or clip")
    recorded_sha256: str | None = Field(
        default=None, description="The sha256 the edge box declared when it sent the file (must match)"
    )


class Manifest(BaseModel):
    """What a case export holds and how to check it."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["gridwatch-case-export/1"] = FORMAT
    event_code: str
    exported_at: datetime
    exported_by: str
    files: list[ManifestFile]


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def verify_export(path: Path) -> list[str]:
    """Problems found in a case export zip (empty: every hash matches and nothing is missing or extra)."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as archive:
        try:
            manifest = Manifest.model_validate_json(archive.read(MANIFEST))
        except (KeyError, ValueError) as exc:
            return [f"{MANIFEST}: missing or invalid ({exc})"]
        listed = {f.path for f in manifest.files}
        extra = sorted(set(archive.namelist()) - listed - {MANIFEST})
        problems += [f"{name}: in the zip but not in the manifest" for name in extra]
        for entry in manifest.files:
            problems += _check(archive, entry)
    return problems


def _check(archive: zipfile.ZipFile, entry: ManifestFile) -> list[str]:
    try:
        data = archive.read(entry.path)
    except KeyError:
        return [f"{entry.path}: listed in the manifest but missing"]
    found = sha256_hex(data)
    problems = []
    if found != entry.sha256 or len(data) != entry.size:
        problems.append(f"{entry.path}: sha256 {found} ({len(data)} bytes), manifest says {entry.sha256}")
    if entry.recorded_sha256 is not None and found != entry.recorded_sha256:
        problems.append(f"{entry.path}: sha256 {found}, the edge box declared {entry.recorded_sha256}")
    return problems
