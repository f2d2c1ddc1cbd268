"""`gridwatch edge run --config F [--once]` and `gridwatch edge outbox list|retry|drop`."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer
from rich.table import Table

from detectors.errors import DetectorError
from edge.centre_config import BoxSettings, CentreConfig
from edge.config import ApiConfig, EdgeConfig, EdgeConfigError, HttpConfig, load_edge_config
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
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Edge YAML (see configs/edge.example.yaml); or --centre."
    ),
    centre: str | None = typer.Option(
        None, "--centre", help="Take the configuration from this centre (e.g. http://centre:8000)."
    ),
    token: str | None = typer.Option(
        None, "--token", envvar="GRIDWATCH_EDGE_TOKEN", help="With --centre: this box's device token."
    ),
    token_file: Path | None = typer.Option(
        None, "--token-file", help="With --centre: a file holding the token."
    ),
    data_dir: Path = typer.Option(
        Path("gridwatch-edge"),
        "--data-dir",
        help="With --centre: outbox, state and the cached configuration.",
    ),
    http_host: str = typer.Option("127.0.0.1", "--http-host", help="With --centre: /healthz address."),
    http_port: int = typer.Option(
        9108, "--http-port", min=0, max=65535, help="With --centre: /healthz port."
    ),
    poll_s: float = typer.Option(30.0, "--poll-s", min=0.2, help="With --centre: seconds between polls."),
    snapshot_s: float = typer.Option(
        300.0, "--snapshot-s", min=1.0, help="With --centre: seconds between camera pictures sent to it."
    ),
    once: bool = typer.Option(False, "--once", help="Read file sources to their end, send everything, exit."),
) -> None:
    """Run the edge worker until stopped (SIGINT/SIGTERM drain the outbox first).

    The configuration is a local YAML file (--config) or comes from the centre (--centre with the
    box's token): kept on disk so the box starts while the centre is down, polled for new versions
    that are applied without restarting the cameras they leave unchanged.

    Exit status: 0 when everything was delivered; 1 when alerts are left in the outbox (queued or
    parked); 2 when a camera's source failed (a file that cannot be read, or ends early).
    """
    if (config is None) == (centre is None):
        raise fail("give --config FILE (a local configuration) or --centre URL (the centre's), one of them")
    source = None
    if centre is not None:
        box = BoxSettings(
            api=ApiConfig(url=centre, token=_token(token, token_file)), data_dir=data_dir.resolve(),
            http=HttpConfig(host=http_host, port=http_port), poll_s=poll_s, snapshot_s=snapshot_s,
            base=Path.cwd(),
        )  # fmt: skip
        source = CentreConfig(box, prepare=ensure_models)
    try:
        settings = load_edge_config(config) if config is not None else _initial(source)
    except EdgeConfigError as exc:
        raise fail(str(exc)) from exc
    worker = _worker(settings, once=once, centre=source)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        err.print(f"signal {signal.Signals(signum).name}: stopping, draining the outbox")
        worker.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    summary = worker.run(once=once)
    report(summary)
    raise typer.Exit(code=exit_status(summary))


def _initial(source: CentreConfig | None) -> EdgeConfig:
    assert source is not None
    return source.initial()


def _token(token: str | None, token_file: Path | None) -> str:
    """The token from --token (or $GRIDWATCH_EDGE_TOKEN), else --token-file; exit 2 when there is none."""
    if token is None and token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise fail(f"--token-file {token_file}: {exc.strerror}") from exc
    if not token or len(token) < 8:
        raise fail("--centre needs this box's device token: --token, $GRIDWATCH_EDGE_TOKEN or --token-file")
    return token


def _worker(settings: EdgeConfig, *, once: bool, centre: CentreConfig | None) -> EdgeWorker:
    """Check what can be checked before starting, pull the models, build the worker; exit 2 on a problem."""
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
        ensure_models(settings)
        worker = EdgeWorker(settings, centre=centre)
    except (EdgeConfigError, ModelError, DetectorError, WvpError) as exc:
        raise fail(str(exc)) from exc
    return worker


def ensure_models(settings: EdgeConfig) -> None:
    """Pull and convert every model the cameras name (nothing when already cached)."""
    for model in {camera.detector.model for camera in settings.cameras}:
        ensure_model(find_model(model))


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
