"""Small named counters the API instances share through the database."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.orm.base import Base


class Revision(Base):
    """A counter that only goes up, e.g. `grids`: bumped by every import that changed a grid."""

    __tablename__ = "revisions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
