"""The sources of an edge config as inventory rows, for `gridwatch api import-sources`.

An edge box's cameras and sensors must be registered at the centre before their alerts are accepted;
`gridwatch demo` and the tests register a config's sources with these rows (a GB/T 28181 camera id
fills `gb_id` too). The rows are the centre's import format (`api.logic.source_file`).

Example:
    >>> from pathlib import Path
    >>> from edge.config import load_config  # doctest: +SKIP
    >>> write_sources(load_config(Path("configs/edge.example.yaml")), Path("s.yaml"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from edge.config import EdgeConfig
from ingest.gb28181 import parse_gb_id


def _gb_id(source_id: str) -> str | None:
    try:
        return parse_gb_id(source_id).text
    except ValueError:
        return None


def source_rows(config: EdgeConfig) -> list[dict[str, Any]]:
    """One row per camera and sensor of the box, at the location its config gives."""
    rows = [
        {"box_id": config.device_id, "source_id": c.id, "kind": "camera", "name": (c.name or "")[:128],
         "lon": c.location.lon, "lat": c.location.lat, "gb_id": _gb_id(c.id)}
        for c in config.cameras
    ] + [
        {"box_id": config.device_id, "source_id": s.id, "kind": "sensor", "lon": s.location.lon,
         "lat": s.location.lat, "gb_id": None}
        for s in config.sensors
    ]  # fmt: skip
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


def write_sources(config: EdgeConfig, path: Path) -> Path:
    """Write the box's sources as a YAML import file; returns `path`."""
    path.write_text(yaml.safe_dump({"sources": source_rows(config)}, allow_unicode=True), encoding="utf-8")
    return path
