"""Received alerts (one row per device and alert id) and their evidence snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.orm.base import Base, UtcDateTime


class AlertRow(Base):
    """One accepted alert; `outcome` + `event_id` reproduce the first answer on a retry.

    Alert ids are chosen at the edge, so they are unique per device only: the key is
    (`device_id`, `alert_id`). `clock_flag` is "past" or "future" when `observed_at` lay outside
    the centre's window around its own clock; such an alert was correlated by `received_at`.
    `lon`/`lat` are where the alert said it was; `location_offset_m` is set (metres from the
    source's registered location) when that lay farther than the centre's tolerance.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("device_id", "alert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    clock_flag: Mapped[str | None] = mapped_column(String(16))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    location_offset_m: Mapped[float | None] = mapped_column(Float)
    cell_code: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class EvidenceRow(Base):
    """The JPEG snapshot of an alert, stored as sent (sha256 verified on the way in)."""

    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("device_id", "alert_id"),
        ForeignKeyConstraint(["device_id", "alert_id"], ["alerts.device_id", "alerts.alert_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
