"""`gridwatch edge run --config F [--once]` and `gridwatch edge outbox list|retry|drop`."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer
from rich.table import Table

from edge.config import EdgeConfigError, load_edge_config
from edge.outbox_cli import app as outbox_app
from edge.worker import EdgeWorker, RunSummary
from gridwatch.clitools import err, fail
from ingest.wvp import WvpError, resolve_credentials
from models.ensure import ensure_model
from models.errors import ModelError
from models.registry import find_model

app = typer.Typer(
    help="The edge worker: cameras → detections → rules → alerts to the centre.", no_args_is_help=True
)
app.add_typer(outbox_app, name="outbox")


@app.command("run")
def run(
    config: Path = typer.Option(..., "--config", "-c", help="Edge YAML (see configs/edge.example.yaml)."),
    once: bool = typer.Option(False, "--once", help="Read file sources to their end, send everything, exit."),
) -> None:
    """Run the edge worker until stopped (SIGINT/SIGTERM drain the outbox first).

    Exit status: 0 when everything was delivered; 1 when alerts are left in the outbox (queued or
    parked); 2 when a camera's source failed (a file that cannot be read, or ends early).
    """
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
    raise typer.Exit(code=exit_status(summary))


def exit_status(summary: RunSummary) -> int:
    """2 when a source failed, 1 when alerts are left undelivered, else 0; says why on standard error."""
    if not summary.drained:
        err.print(f"[bold red]{summary.pending} alerts not delivered yet[/]; they stay in the outbox")
    if summary.parked:
        err.print(
            f"[bold red]{summary.parked} alerts parked[/]: the centre refused them; see "
            "`gridwatch edge outbox list --state parked`"
        )
    for camera_id, error in summary.failed_sources.items():
        err.print(f"[bold red]error:[/] camera {camera_id} failed: {error}", highlight=False, soft_wrap=True)
    if summary.failed_sources:
        return 2
    return 1 if not summary.drained or summary.parked else 0


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
