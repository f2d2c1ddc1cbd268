"""Evidence bodies: the legal hold of an event."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LegalHoldIn(BaseModel):
    """Put an event's evidence on legal hold, or lift the hold."""

    model_config = ConfigDict(extra="forbid")

    hold: bool = Field(description="true: keep every piece of evidence until lifted; false: lift")
    note: str = Field(min_length=1, max_length=2000, description="Why (case number, order), for the record")
