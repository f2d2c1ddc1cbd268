"""Small builders for the API tests: alerts, demo grid coordinates, JPEGs."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO_GRIDS: dict[str, Any] = json.loads((REPO / "configs" / "demo-county-grids.geojson").read_text("utf-8"))
CELL = 0.004
ORIGIN = (118.70, 32.00)
OUTSIDE = (100.0, 20.0)


def cell_center(township: int, village: int, cell: int) -> tuple[float, float]:
    """Centre of demo cell DX-T0<township>-V0<village>-C00<cell> (1-based, 2×2 cells per village)."""
    t, v, c = township - 1, village - 1, cell - 1
    x = ORIGIN[0] + t * 2 * CELL + (c % 2) * CELL + CELL / 2
    y = ORIGIN[1] + v * 2 * CELL + (c // 2) * CELL + CELL / 2
    return x, y


def cell_code(township: int, village: int, cell: int) -> str:
    """Code of a demo cell."""
    return f"DX-T{township:02d}-V{village:02d}-C{cell:03d}"


def make_alert(
    alert_id: str,
    *,
    kind: str = "intrusion",
    at: tuple[float, float] = (ORIGIN[0] + CELL / 2, ORIGIN[1] + CELL / 2),
    observed_at: datetime | None = None,
    device_id: str = "edge-01",
    severity: str = "high",
    source_kind: str = "camera",
    **extra: Any,
) -> dict[str, Any]:
    """An alert body as an edge box would POST it."""
    return {
        "alert_id": alert_id,
        "device_id": device_id,
        "source_id": "cam-1",
        "source_kind": source_kind,
        "kind": kind,
        "severity": severity,
        "observed_at": (observed_at or datetime.now(UTC)).isoformat(),
        "location": {"lon": at[0], "lat": at[1]},
        **extra,
    }


def jpeg_bytes(size: int = 64) -> bytes:
    """Bytes that start like a JPEG (the contract checks the SOI marker, not the whole image)."""
    return b"\xff\xd8\xff\xe0" + bytes(range(256)) * (size // 256) + b"\x00" * (size % 256) + b"\xff\xd9"


def evidence(jpeg: bytes) -> dict[str, Any]:
    """An evidence object carrying `jpeg`."""
    return {
        "snapshot_jpeg_b64": base64.b64encode(jpeg).decode(),
        "snapshot_sha256": hashlib.sha256(jpeg).hexdigest(),
    }
