"""A node of the grid hierarchy 市/县/乡/村/网格."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.orm.base import Base


class Grid(Base):
    """One grid node; `path` is the materialised chain of codes, e.g. `/3201/320115/.../C01/`."""

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    path: Mapped[str] = mapped_column(String(512), index=True)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    workers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
