"""An edge box's configuration kept at the centre: validated with the edge's own model, saved as
numbered versions (who, when, the document), read back by admins and by the box itself.

A document that does not validate raises `ConfigRejectedError` with every problem's field path and is
never stored, so it never reaches a box. The check itself is the edge's model (`edge.config.BoxConfig`),
handed in by the command that starts the centre (`api.config_cli.edge_box_check`: `api` and `edge`
never import each other). Saving a document equal to the newest version stores nothing and answers
that version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import BadInputError, ConfigError, NotFoundError
from api.orm import BoxConfigVersion, Device


class ConfigRejectedError(BadInputError):
    """The document is not a valid box configuration; `errors` name each field path and problem."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(
            "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in errors)
        )
        self.errors = errors

    def details(self) -> list[dict[str, object]]:
        """One entry per problem, its `loc` starting at the body like FastAPI's own."""
        return [{"type": "value_error", **e, "loc": ["body", *e["loc"]]} for e in self.errors]


@dataclass(frozen=True)
class SavedConfig:
    """The version a save produced (or the newest one, when the document did not change)."""

    row: BoxConfigVersion
    created: bool
    warnings: list[str]


BoxCheck = Callable[[dict[str, Any]], None]
"""Validates a document as the box will read it; raises ConfigRejectedError naming every problem."""


def no_box_check(_document: dict[str, Any]) -> None:
    """The check of a centre started without the edge's model: nothing can be saved."""
    raise ConfigError("this centre was started without the edge's configuration model (use `gridwatch api`)")


def validate_document(document: object, check: BoxCheck) -> dict[str, Any]:
    """The document, checked; ConfigRejectedError naming every problem otherwise."""
    if not isinstance(document, dict):
        raise ConfigRejectedError(
            [{"loc": [], "msg": f"a configuration is a mapping, got {type(document).__name__}"}]
        )
    check(document)
    return document


def document_sha256(document: dict[str, Any]) -> str:
    """A digest of the document's canonical JSON (sorted keys): the box's ETag."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def secret_warnings(document: dict[str, Any]) -> list[str]:
    """Camera URLs that carry a password in clear (kept at the centre; `${NAME}` keeps it on the box)."""
    cameras = document.get("cameras") or []
    return [
        f"cameras.{k}.url: camera {camera.get('id')} carries a password in its URL; write ${{NAME}} instead "
        "and set NAME in the box's environment, so the password stays on the box"
        for k, camera in enumerate(cameras)
        if isinstance(camera, dict) and _clear_password(camera.get("url"))
    ]


def _clear_password(url: object) -> bool:
    return isinstance(url, str) and "${" not in url and bool(urlsplit(url).password)


def _edge_box(session: Session, device_id: str) -> Device:
    device = session.scalar(select(Device).where(Device.device_id == device_id))
    if device is None or device.kind != "edge":
        raise NotFoundError(f"no edge box {device_id!r} is registered")
    return device


def save_config(
    *, session: Session, device_id: str, document: object, actor: str, now: datetime, check: BoxCheck
) -> SavedConfig:
    """Validate (`check`) and store `document` as the box's next version (flushed, not committed)."""
    _edge_box(session, device_id)
    document = validate_document(document, check)
    digest = document_sha256(document)
    latest = newest_version(session=session, device_id=device_id)
    if latest is not None and latest.sha256 == digest:
        return SavedConfig(latest, False, secret_warnings(document))
    row = BoxConfigVersion(
        device_id=device_id, version=(latest.version if latest else 0) + 1, sha256=digest,
        document=document, created_by=actor[:64], created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return SavedConfig(row, True, secret_warnings(document))


def newest_version(*, session: Session, device_id: str) -> BoxConfigVersion | None:
    """The version the box runs, or None when none was saved."""
    return session.scalar(
        select(BoxConfigVersion)
        .where(BoxConfigVersion.device_id == device_id)
        .order_by(BoxConfigVersion.version.desc())
        .limit(1)
    )


def get_config(*, session: Session, device_id: str, version: int | None = None) -> BoxConfigVersion:
    """One version (the newest when `version` is None); NotFoundError names what is missing."""
    _edge_box(session, device_id)
    if version is None:
        row = newest_version(session=session, device_id=device_id)
    else:
        row = session.scalar(
            select(BoxConfigVersion).where(
                BoxConfigVersion.device_id == device_id, BoxConfigVersion.version == version
            )
        )
    if row is None:
        which = "no configuration" if version is None else f"no configuration version {version}"
        raise NotFoundError(f"edge box {device_id!r} has {which} at the centre")
    return row


def list_versions(*, session: Session, device_id: str) -> list[BoxConfigVersion]:
    """Every version of the box, newest first."""
    _edge_box(session, device_id)
    return list(
        session.scalars(
            select(BoxConfigVersion)
            .where(BoxConfigVersion.device_id == device_id)
            .order_by(BoxConfigVersion.version.desc())
        )
    )
