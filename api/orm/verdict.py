"""Operator verdicts on alerts: why an event was dismissed, kept per alert for quality figures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.orm.base import Base, UtcDateTime


class AlertVerdict(Base):
    """One alert (device, alert id) judged by an operator, with what produced it (camera, rule, model, score).

    Rows are only inserted; reopening the event marks its verdicts withdrawn.
    """

    __tablename__ = "alert_verdicts"
    __table_args__ = (
        ForeignKeyConstraint(["device_id", "alert_id"], ["alerts.device_id", "alerts.alert_id"]),
        Index("ix_alert_verdicts_device_alert", "device_id", "alert_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    alert_id: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(32))
    false_alarm: Mapped[str | None] = mapped_column(String(32))
    duplicate_of: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    device_id: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    rule: Mapped[str | None] = mapped_column(String(64))
    model_name: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
