"""Wire shapes of the fleet inventory: a box's cameras and sensors as registered at the centre.

One definition for the JSON routes, the `gridwatch api add-source` / `import-sources` commands and
the demo: each parses into `SourceIn`, so every way in checks the same fields the same way.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gridwatch.contracts.alert import NO_NUL, Identifier
from ingest.gb28181 import GbIdText

Name = Field(default="", max_length=128, pattern=NO_NUL, description="Human-readable name")
Notes = Field(default="", max_length=512, pattern=NO_NUL, description="Free notes (mounting, contact, ...)")
GbId = Field(default=None, description="20-digit GB/T 28181 id (国标编码), checked by form when given")


class SourceKindIn(StrEnum):
    """What a registered source is."""

    CAMERA = "camera"
    SENSOR = "sensor"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SourceIn(_In):
    """A camera or sensor of a box to register; its location places the events of its alerts."""

    source_id: Identifier = Field(description="The id the box's alerts carry as `source_id`")
    kind: SourceKindIn
    name: str = Name
    lon: float = Field(ge=-180, le=180, description="Registered longitude (WGS-84)")
    lat: float = Field(ge=-90, le=90, description="Registered latitude (WGS-84)")
    gb_id: GbIdText | None = GbId
    notes: str = Notes


class SourceRow(SourceIn):
    """One row of an import file: a source and the box it belongs to."""

    box_id: Identifier = Field(description="The edge box the source belongs to")


class DevicePatch(_In):
    """Fields to change on a box or source; fields left out stay as they are."""

    name: str | None = Field(default=None, max_length=128, pattern=NO_NUL)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    gb_id: GbIdText | None = GbId
    notes: str | None = Field(default=None, max_length=512, pattern=NO_NUL)


class DeviceOut(BaseModel):
    """A box, camera or sensor as the centre knows it."""

    model_config = ConfigDict(from_attributes=True)

    device_id: str = Field(description="Box id, or the source id (unique within its box)")
    box_id: str | None = Field(description="The box a camera/sensor belongs to; null for a box")
    kind: str = Field(description="edge, camera or sensor")
    name: str
    lon: float | None
    lat: float | None
    gb_id: str | None
    notes: str
    cell_code: str | None = Field(description="网格 cell of the registered location")
    state: str = Field(description="online, offline, or unknown (never reported)")
    last_seen_at: datetime | None = Field(description="Last heartbeat (box) or report (source)")
    created_at: datetime
    updated_at: datetime | None


class BoxOut(DeviceOut):
    """A box with its sources and its latest heartbeat."""

    revoked: bool
    status: dict[str, Any] | None = Field(description="The latest heartbeat as the box sent it")
    sources: list[DeviceOut]


class ImportResult(BaseModel):
    """What an import did."""

    created: int
    updated: int


class DeviceSelf(BaseModel):
    """The edge box a device token belongs to, as registered at the centre."""

    device_id: str = Field(description="The id alerts must carry as `device_id`")
    kind: str = Field(description="Always `edge`: only edge boxes hold tokens")
    name: str = Field(description="Human-readable name given at registration")
    lon: float | None = Field(description="Registered longitude, if any")
    lat: float | None = Field(description="Registered latitude, if any")
    registered_at: datetime = Field(description="When the box was registered")


class HeartbeatTaken(BaseModel):
    """What the centre did with a heartbeat."""

    received_at: datetime
    came_back: bool = Field(description="The box was offline until this heartbeat (its fault is resolved)")
