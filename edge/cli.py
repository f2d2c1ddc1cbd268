"""`gridwatch edge run --config F [--once]`."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console
from rich.table import Table

from edge.config import EdgeConfigError, load_edge_config
from edge.worker import EdgeWorker, RunSummary
from ingest.wvp import WvpError, resolve_credentials
from models.cli import ensure_model, fail
from models.errors import ModelError
from models.registry import find_model

app = typer.Typer(
    help="The edge worker: cameras → detections → rules → alerts to the centre.", no_args_is_help=True
)
err = Console(stderr=True)


@app.command("run")
def run(
    config: Path = typer.Option(..., "--config", "-c", help="Edge YAML (see configs/edge.example.yaml)."),
    once: bool = typer.Option(False, "--once", help="Read file sources to their end, send everything, exit."),
) -> None:
    """Run the edge worker until stopped (SIGINT/SIGTERM drain the outbox first)."""
    try:
        settings = load_edge_config(config)
    except EdgeConfigError as exc:
        raise fail(str(exc)) from exc
    streams = [camera.id for camera in settings.cameras if camera.is_live]
    if once and streams:  # refuse before pulling models or creating the outbox
        raise fail(f"--once needs file sources only; these cameras are live streams: {', '.join(streams)}")
    if once and settings.sensors:
        raise fail("--once reads file cameras to their end; MQTT sensors are live feeds and never end")
    try:
        if settings.wvp is not None:  # a missing secret variable is named before models are pulled
            resolve_credentials(settings.wvp)
    except WvpError as exc:
        raise fail(str(exc)) from exc
    try:
        for model in {camera.detector.model for camera in settings.cameras}:
            ensure_model(find_model(model))
        worker = EdgeWorker(settings)
    except (EdgeConfigError, ModelError, WvpError) as exc:
        raise fail(str(exc)) from exc

    def _stop(signum: int, _frame: FrameType | None) -> None:
        err.print(f"signal {signal.Signals(signum).name}: stopping, draining the outbox")
        worker.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    summary = worker.run(once=once)
    report(summary)
    if not summary.drained:
        err.print(f"[bold red]{summary.pending} alerts not delivered yet[/]; they stay in the outbox")
        raise typer.Exit(code=1)


def report(summary: RunSummary) -> None:
    """Per-camera counters and delivery totals."""
    table = Table(title="edge run")
    for column in ("camera", "frames", "detector calls", "skipped by motion gate", "alerts"):
        table.add_column(column)
    for camera_id, stats in summary.cameras.items():
        table.add_row(
            camera_id, str(stats.frames), str(stats.detector_calls), str(stats.gated), str(stats.alerts)
        )
    err.print(table)
    err.print(f"alerts delivered to the centre: {summary.delivered}; still queued: {summary.pending}")
