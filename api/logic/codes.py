"""Unified codes (统一编码): `<county>-<yyyymmdd>-<type>-<seq>`, e.g. `DX-20261121-FIRE-0007`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def code_prefix(*, county: str, at: datetime, type_code: str, zone: ZoneInfo) -> str:
    """The part of the code shared by all events of one county, local day and type."""
    return f"{county}-{at.astimezone(zone):%Y%m%d}-{type_code}"


def format_code(prefix: str, seq: int) -> str:
    """Append the sequence number (at least four digits, so it reads well aloud)."""
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    return f"{prefix}-{seq:04d}"
