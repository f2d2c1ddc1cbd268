"""Small builders for the API tests: alerts, demo grid coordinates, JPEGs."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from api.context import ApiContext
from api.schemas.devices import SourceIn
from api.services.inventory import add_source, source_index

REPO = Path(__file__).resolve().parents[2]
DEMO_GRIDS: dict[str, Any] = json.loads((REPO / "configs" / "demo-county-grids.geojson").read_text("utf-8"))
CELL = 0.004
ORIGIN = (118.70, 32.00)
OUTSIDE = (100.0, 20.0)
DEFAULT_AT = (ORIGIN[0] + CELL / 2, ORIGIN[1] + CELL / 2)
DEFAULT_SOURCE = "cam-1"
"""The source of `make_alert`'s default location (seeded in the test worlds' inventory)."""


EVENT_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}-\d{8}-[A-Z0-9]{1,16}-\d{4,}$")
"""A unified code (统一编码) as events carry it: `<county>-<yyyymmdd>-<type>-<seq>`."""


def is_event_code(text: str) -> bool:
    """Whether `text` reads as a unified code."""
    return EVENT_CODE.match(text) is not None


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
    at: tuple[float, float] = DEFAULT_AT,
    observed_at: datetime | None = None,
    device_id: str = "edge-01",
    severity: str = "high",
    source_kind: str = "camera",
    source_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An alert body as an edge box would POST it; by default from the source registered at `at`
    (`source_at`), which `register_source` (or `World.post_alert`) puts in the box's inventory."""
    return {
        "alert_id": alert_id,
        "device_id": device_id,
        "source_id": source_id or source_at(at),
        "source_kind": source_kind,
        "kind": kind,
        "severity": severity,
        "observed_at": (observed_at or datetime.now(UTC)).isoformat(),
        "location": {"lon": at[0], "lat": at[1]},
        **extra,
    }


def source_at(at: tuple[float, float]) -> str:
    """The test source standing at `at`: alerts are placed where their source is registered."""
    if at == DEFAULT_AT:
        return DEFAULT_SOURCE
    return f"cam-{at[0]:.6f}-{at[1]:.6f}"


DEMO_CELLS = [(t, v, c) for t in range(1, 4) for v in range(1, 5) for c in range(1, 5)]
"""Every cell of the demo county (3 乡 × 4 村 × 4 网格)."""


def demo_source_rows(box_id: str) -> list[dict[str, Any]]:
    """Import rows (`gridwatch api import-sources`) for a camera of `box_id` at the centre of every demo
    cell and at `make_alert`'s default location: the sources `make_alert(at=cell_center(...))` names."""
    spots = [DEFAULT_AT, *(cell_center(*cell) for cell in DEMO_CELLS)]
    return [
        {"box_id": box_id, "source_id": source_at(at), "kind": "camera", "lon": at[0], "lat": at[1]}
        for at in dict.fromkeys(spots)
    ]


def source_spec(alert: dict[str, Any]) -> SourceIn:
    """The inventory entry of an alert body's source, at the location the alert gives."""
    kind = "sensor" if alert["source_kind"] == "sensor" else "camera"
    location = alert["location"]
    return SourceIn(source_id=alert["source_id"], kind=kind, lon=location["lon"], lat=location["lat"])


def register_source(ctx: ApiContext, alert: dict[str, Any]) -> None:
    """Put the source of an alert body into its box's inventory, unless it is there already."""
    with ctx.sessions() as session:
        known = source_index(session=session, pairs={(alert["device_id"], alert["source_id"])})
        if not known:
            spec = source_spec(alert)
            add_source(
                session=session, grids=ctx.grids, box_id=alert["device_id"], spec=spec, now=datetime.now(UTC)
            )
            try:
                session.commit()
            except IntegrityError:  # registered meanwhile by a concurrent request of the same test
                session.rollback()


def jpeg_bytes(size: int = 64) -> bytes:
    """Bytes that start like a JPEG (the contract checks the SOI marker, not the whole image)."""
    return b"\xff\xd8\xff\xe0" + bytes(range(256)) * (size // 256) + b"\x00" * (size % 256) + b"\xff\xd9"


def evidence(jpeg: bytes) -> dict[str, Any]:
    """An evidence object carrying `jpeg`."""
    return {
        "snapshot_jpeg_b64": base64.b64encode(jpeg).decode(),
        "snapshot_sha256": hashlib.sha256(jpeg).hexdigest(),
    }
