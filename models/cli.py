"""`gridwatch models pull|list|import`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from gridwatch.clitools import err, fail
from models.ensure import ensure_model
from models.errors import ModelError
from models.registry import DEFAULT_MODEL, find_model, known_models

app = typer.Typer(
    help="Known models: fetch and convert them, list them, import your own.", no_args_is_help=True
)


@app.command("pull")
def pull_command(
    name: str = typer.Argument(DEFAULT_MODEL, help="Model name (see `gridwatch models list`)."),
) -> None:
    """Fetch a model's source, check its sha256, convert it to ONNX, verify and cache it."""
    try:
        entry = find_model(name)
        if entry.is_cached():
            err.print(f"model {name} is already cached at {entry.onnx_path}")
            return
        ensure_model(entry)
    except ModelError as exc:
        raise fail(str(exc)) from exc


@app.command("list")
def list_command() -> None:
    """Show each known model: family, input size, classes, licence, source, sha256, cached or not."""
    try:
        models = known_models()
    except ModelError as exc:
        raise fail(str(exc)) from exc
    table = Table(title="GridWatch models")
    for column in ("name", "family", "input", "classes", "licence", "source", "sha256", "cached"):
        table.add_column(column, overflow="fold", no_wrap=column in ("name", "family", "input", "cached"))
    for entry in models.values():
        m = entry.manifest
        source = (
            f"pypi:{m.source.package}=={m.source.version}" if m.source.type == "pypi_sdist" else m.source.path
        )
        digest = (
            m.source.sha256.get("weights", "") if m.source.type == "pypi_sdist" else m.source.sha256 or ""
        )
        table.add_row(
            m.name, m.family.value, f"{m.input.width}x{m.input.height}", str(len(m.classes)),
            m.licence, source, digest, "yes" if entry.is_cached() else "no",
        )  # fmt: skip
    out = Console()
    if not out.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        out = Console(width=220)
    out.print(table)


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="An Ultralytics detection checkpoint (.pt)."),
    name: str | None = typer.Option(None, help="Model name (default: the file's stem)."),
    imgsz: int = typer.Option(640, help="Square input size of the exported ONNX model."),
) -> None:
    """Export an Ultralytics model to ONNX and write its manifest (needs the `ultralytics` extra)."""
    from models.ultralytics_import import import_ultralytics

    try:
        with err.status(f"exporting {path} to ONNX"):
            manifest = import_ultralytics(path, name=name, imgsz=imgsz)
    except ModelError as exc:
        raise fail(str(exc)) from exc
    err.print(f"imported {path} → {manifest}")
