"""An edge box's configuration versions as the centre shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ConfigVersionInfo(BaseModel):
    """One saved version, without its document."""

    device_id: str = Field(description="The edge box")
    version: int = Field(description="1, 2, ... per box; the newest is the one the box runs")
    sha256: str = Field(description="Digest of the document's canonical JSON (the box's ETag)")
    created_by: str = Field(description="Who saved it (`user:NAME`, `cli:NAME`, `console:NAME`)")
    created_at: datetime = Field(description="When it was saved (UTC)")


class ConfigVersionOut(ConfigVersionInfo):
    """One saved version with its document."""

    config: dict[str, Any] = Field(description="The document, as saved")


class ConfigSaved(ConfigVersionOut):
    """What a save produced."""

    created: bool = Field(description="False when the document equals the newest version (nothing stored)")
    warnings: list[str] = Field(description="Accepted, but worth a look (a password in a camera URL)")
