"""Edge boxes and their cameras and sensors (the fleet inventory); edge boxes carry a hashed token.

A box is a row with `kind == "edge"` and no parent; its cameras and sensors are rows with
`parent_device_id` set to the box. Source ids are chosen in the box's config, so they are unique
per box only: boxes are unique by `device_id`, sources by (`parent_device_id`, `device_id`).
`grid_path`/`cell_code` are where the registered location lies (scoped reads use them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from api.orm.base import Base, UtcDateTime

BOX_ROW = text("parent_device_id IS NULL")
SOURCE_ROW = text("parent_device_id IS NOT NULL")


class Device(Base):
    """A device known to the centre; only `kind == "edge"` rows have a token."""

    __tablename__ = "devices"
    __table_args__ = (
        Index("uq_devices_box", "device_id", unique=True, sqlite_where=BOX_ROW, postgresql_where=BOX_ROW),
        Index(
            "uq_devices_source",
            "parent_device_id",
            "device_id",
            unique=True,
            sqlite_where=SOURCE_ROW,
            postgresql_where=SOURCE_ROW,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128), default="")
    parent_device_id: Mapped[str | None] = mapped_column(String(64))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    gb_id: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(String(512), default="", server_default="")
    cell_code: Mapped[str | None] = mapped_column(String(64))
    grid_path: Mapped[str | None] = mapped_column(String(512))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    state: Mapped[str | None] = mapped_column(String(16))
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Heartbeat(Base):
    """One status report of an edge box, kept for a short bounded history (newest N per box)."""

    __tablename__ = "heartbeats"
    __table_args__ = (Index("ix_heartbeats_box", "device_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[dict[str, Any]] = mapped_column(JSON)
