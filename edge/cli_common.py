"""What the edge box's commands share: finding the outbox the worker wrote."""

from __future__ import annotations

from pathlib import Path

from edge.config import EdgeConfig, EdgeConfigError, load_edge_config
from gridwatch.clitools import fail


def existing_outbox(config: Path) -> tuple[EdgeConfig, Path]:
    """The edge config at `config` and the outbox file its worker wrote; `fail` naming what is missing."""
    try:
        settings = load_edge_config(config)
    except EdgeConfigError as exc:
        raise fail(str(exc)) from exc
    path = settings.data_dir / "outbox.db"
    if not path.is_file():
        raise fail(f"no outbox at {path} (data_dir of {config}): the worker has not run there yet")
    return settings, path
