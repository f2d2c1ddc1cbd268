"""`gridwatch edge outbox clips|clips-retry --config F`: the clips of the edge box's outbox.

They work on `<data_dir>/outbox.db` of the edge config, also while the worker runs (SQLite WAL).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from edge.cli_common import existing_outbox
from edge.clips.queue import ClipQueue, ClipRecord
from gridwatch.clitools import err, fail

out = Console(soft_wrap=True)

CONFIG = typer.Option(..., "--config", "-c", help="Edge YAML: its data_dir holds the outbox.")


def list_clips(
    config: Path = CONFIG,
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line instead of a table."),
) -> None:
    """Clips not at the centre yet: alert id, camera, state, size, bytes the centre holds, reason."""
    queue = _open(config)
    try:
        records, counts = queue.unsent(), queue.counts()
    finally:
        queue.close()
    if as_json:
        for record in records:
            out.print_json(json.dumps(_as_dict(record)), indent=None)
        return
    table = Table(title=f"clips in {queue.path}")
    for column in ("alert id", "camera", "state", "bytes", "at the centre", "attempts", "reason"):
        table.add_column(column, overflow="fold")
    for r in records:
        size = "-" if r.info is None else str(r.info.size)
        table.add_row(
            r.alert_id,
            r.source_id,
            r.state.value,
            size,
            str(r.sent_bytes),
            str(r.attempts),
            r.last_error or "",
        )
    out.print(table)
    out.print(", ".join(f"{name}: {count}" for name, count in counts.items()))


def retry_clips(
    alert_ids: list[str] = typer.Argument(
        ..., help="Alert ids, as `gridwatch edge outbox clips` shows them."
    ),
    config: Path = CONFIG,
) -> None:
    """Send these parked (or waiting) clips again at the sender's next round."""
    queue = _open(config)
    try:
        changed = queue.retry(alert_ids)
    finally:
        queue.close()
    missing = [a for a in alert_ids if a not in changed]
    if missing:
        raise fail(f"not parked or waiting (unknown, sent, recording or failed): {', '.join(missing)}")
    err.print(f"{len(changed)} clip(s) will be sent again: {', '.join(changed)}", highlight=False)


def _open(config: Path) -> ClipQueue:
    return ClipQueue(existing_outbox(config)[1])


def _as_dict(record: ClipRecord) -> dict[str, object]:
    return {
        "alert_id": record.alert_id,
        "camera": record.source_id,
        "state": record.state.value,
        "size": None if record.info is None else record.info.size,
        "at_centre": record.sent_bytes,
        "attempts": record.attempts,
        "reason": record.last_error,
    }
