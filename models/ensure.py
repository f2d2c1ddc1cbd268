"""`ensure_model`: pull a model that is not cached yet, with a progress bar (for the commands)."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from gridwatch.clitools import err
from models.pull import pull
from models.registry import ModelEntry


def ensure_model(entry: ModelEntry) -> None:
    """Pull the model if it is not cached yet: a bar for the download, the step name for the rest."""
    if entry.is_cached():
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(entry.manifest.name, total=None)
        pull(
            entry,
            step=lambda text: progress.update(task, description=f"{entry.manifest.name}: {text}"),
            transfer=lambda done, total: progress.update(task, completed=done, total=total),
        )
    err.print(f"model {entry.manifest.name} ready at {entry.onnx_path}")
