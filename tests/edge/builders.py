"""Builders shared by the edge tests: real alerts with a real JPEG snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np

from edge.outbox import Outbox
from gridwatch.contracts.alert import Alert, Evidence, EvidenceBox, Location

DEMO_CELL = Location(lon=118.702, lat=32.002)
"""A point inside the demo county's cell DX-T01-V01-C001."""


def small_jpeg(shade: int = 80) -> bytes:
    """A real 64×48 JPEG: a grey picture with a white box."""
    image = np.full((48, 64, 3), shade, dtype=np.uint8)
    image[10:30, 20:40] = 255
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return encoded.tobytes()


def make_alert(alert_id: str, *, device_id: str = "edge-test", source_id: str = "cam-1") -> Alert:
    """An intrusion alert observed now inside a demo cell, with a snapshot and one box."""
    return Alert(
        alert_id=alert_id,
        device_id=device_id,
        source_id=source_id,
        source_kind="camera",
        kind="intrusion",
        severity="high",
        observed_at=datetime.now(UTC),
        location=DEMO_CELL,
        rule="room-intrusion",
        evidence=Evidence.with_snapshot(
            small_jpeg(), boxes=[EvidenceBox(label="person", score=0.9, box=(20, 10, 40, 30), track_id=1)]
        ),
    )


def put(outbox: Outbox, prefix: str, count: int, *, device_id: str = "edge-test") -> list[str]:
    """Queue `count` alerts `<prefix>-0`, `<prefix>-1`, ...; their ids."""
    ids = [f"{prefix}-{k}" for k in range(count)]
    for alert_id in ids:
        assert outbox.put(make_alert(alert_id, device_id=device_id))
    return ids
