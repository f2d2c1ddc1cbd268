"""Versions of an edge box's configuration kept at the centre (`edge.config.BoxConfig` documents), and
the newest snapshot of each of its cameras."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.orm.base import Base, UtcDateTime


class BoxConfigVersion(Base):
    """One saved configuration of one box: version 1, 2, ... per box, with who saved it and when.

    Rows are never changed; the newest version is the one the box runs.
    """

    __tablename__ = "box_config_versions"
    __table_args__ = (UniqueConstraint("device_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)  # an edge box (no FK: ids are unique
    # among boxes only, a partial index since 0010 — the services check the box exists)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CameraSnapshot(Base):
    """The newest picture of one camera, as its box uploaded it (the zone editor draws on it)."""

    __tablename__ = "camera_snapshots"
    __table_args__ = (UniqueConstraint("device_id", "camera_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))  # an edge box (see BoxConfigVersion.device_id)
    camera_id: Mapped[str] = mapped_column(String(64))
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)
