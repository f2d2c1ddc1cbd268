"""`gridwatch demo`: the whole loop on one machine with embedded defaults, no broker.

Starts the central API on SQLite, loads the demo county's grids, registers an edge box, runs the
edge worker over the sample clips with the demo rules (`configs/edge.example.yaml`) behind one
progress bar per camera, then prints the grid events the centre made, saves their evidence
snapshots and says where to look next.

The clips are the files the edge config names (`../shared/clips/` beside the checkout); set
`GRIDWATCH_CLIPS` to read files of the same names from another folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer
import yaml
from rich.console import Console
from rich.table import Table

from edge.config import EdgeConfig, EdgeConfigError, load_edge_config
from edge.progress import run_with_progress
from edge.worker import EdgeWorker
from gridwatch.clitools import err
from gridwatch.demo_console import (
    DEFAULT_PORT,
    DEMO_SCOPE,
    DEMO_USER,
    ConsoleLogin,
    new_password,
    port_is_free,
    serve_until_interrupted,
)
from gridwatch.fleet import source_rows, write_sources
from gridwatch.logs import is_verbose, progress_only
from ingest.config import is_stream_url
from models.ensure import ensure_model
from models.registry import find_model

CHECKOUT = Path(__file__).resolve().parents[1]
CONFIGS = CHECKOUT / "configs"
CENTRE = CONFIGS / "centre.example.yaml"
CLIPS_ENV = "GRIDWATCH_CLIPS"


def demo(
    out: Path = typer.Option(
        Path("gridwatch-demo"), "--out", help="Folder for the database, outbox and evidence."
    ),
    edge_config: Path = typer.Option(
        CONFIGS / "edge.example.yaml", "--edge-config", help="Edge YAML to run."
    ),
    serve: bool = typer.Option(
        False, "--serve", help="Keep the centre and its operator console running until Ctrl-C."
    ),
    port: int = typer.Option(
        DEFAULT_PORT, "--port", min=1, max=65535, help="The console's port with --serve."
    ),
) -> None:
    """Run the API, the demo grids and an edge worker on sample clips; print the grid events made."""
    out = out.resolve()
    if serve and not port_is_free(port):
        err.print(f"[bold red]error:[/] --port {port}: 127.0.0.1:{port} is in use; pass another --port")
        raise typer.Exit(code=2)
    config = _edge_config(edge_config, out)  # refuses missing clips before anything starts
    _start_fresh(out)
    database = f"sqlite:///{out / 'centre.db'}"
    with err.status("preparing the centre: the demo county's grids, an edge box, a viewer"):
        grids = _gridwatch("api", "import-grids", str(CONFIGS / "demo-county-grids.geojson"),
                           "--database-url", database)  # fmt: skip
        token = _token(database, "add-device", config.device_id)
        _gridwatch("api", "import-sources", str(write_sources(config, out / "sources.yaml")),
                   "--database-url", database)  # fmt: skip
        user = _token(database, "add-user", f"demo-viewer-{os.getpid()}", "--role", "supervisor")
        password = new_password()
        _gridwatch("api", "add-user", DEMO_USER, "--role", "supervisor", "--scope", DEMO_SCOPE,
                   "--password-stdin", "--database-url", database, stdin=password + "\n")  # fmt: skip
    _done(f"centre database {out / 'centre.db'}: {_count(grids, 'created')} grid nodes; "
          f"edge box {config.device_id} registered with its {len(source_rows(config))} sources")  # fmt: skip
    with progress_only():  # a first run fetches and converts the model behind its own bar
        for model in {camera.detector.model for camera in config.cameras}:
            ensure_model(find_model(model))
    with _api(database, port if serve else None) as url:
        settings = config.model_copy(
            update={"api": config.api.model_copy(update={"url": url, "token": token})}
        )
        _done(f"centre API at {url}; edge worker on {len(settings.cameras)} cameras "
              "(sample clips: Intel IoT DevKit, CC BY 4.0)")  # fmt: skip
        bars = err if err.is_terminal else Console(stderr=True, width=120)  # CI logs: room for the counts
        summary = run_with_progress(EdgeWorker(settings), bars, once=True)
        err.print(f"alerts delivered to the centre: {summary.delivered}; still queued: {summary.pending}")
        events = _events(url, user, out / "evidence")
        login = ConsoleLogin(url if serve else f"http://127.0.0.1:{port}", DEMO_USER, password, serve)
        console = NextStep("the operator console", login.where())
        _show(events, out, next_steps(out, database, console=console))
        if serve:
            sys.stdout.flush()
            serve_until_interrupted(url)


@dataclass(frozen=True)
class NextStep:
    """One line of the block that ends the demo: what to look at, and where."""

    what: str
    where: str


def next_steps(out: Path, database: str, *, console: NextStep | None = None) -> list[NextStep]:
    """Where to look after the demo, most useful first.

    `console` is the slot for the operator console's URL and demo login (the console issue fills it
    when the demo keeps the centre serving); it comes first when given.
    """
    browse = f"gridwatch api serve --database-url {database} --centre-config {CENTRE}"
    steps = [
        NextStep("evidence snapshots", f"{out / 'evidence'}/"),
        NextStep("the centre's database", str(out / "centre.db")),
        NextStep("the events as YAML", str(out / "events.yaml")),
        NextStep("serve the centre again", browse),
        NextStep("check a box or a centre", "gridwatch doctor --help"),
    ]
    return [console, *steps] if console is not None else steps


def _count(output: str, what: str) -> str:
    """The number before `what` in an admin command's one-line answer ("65 created, ...")."""
    found = re.search(rf"(\d+) {what}", output)
    return found[1] if found else "?"


def _done(message: str) -> None:
    err.print(f"[green]✓[/] {message}", highlight=False, soft_wrap=True)


def _start_fresh(out: Path) -> None:
    """Each demo run starts with an empty centre and outbox (only the demo's own files are removed)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("centre.db", "centre.db-wal", "centre.db-shm", "events.yaml"):
        (out / name).unlink(missing_ok=True)
    for folder in (out / "edge", out / "evidence"):
        for path in folder.glob("*") if folder.is_dir() else []:
            path.unlink()


def _gridwatch(*args: str, stdin: str | None = None) -> str:
    command = [sys.executable, "-m", "gridwatch", *args, "--centre-config", str(CENTRE)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, input=stdin)
    if result.returncode != 0:
        err.print(f"[bold red]error:[/] gridwatch {' '.join(args[:2])} failed: {result.stderr.strip()}")
        raise typer.Exit(code=2)
    return result.stdout.strip()


def _token(database: str, command: str, *args: str) -> str:
    output = _gridwatch("api", command, *args, "--database-url", database)
    return output.splitlines()[-1].strip()


def _edge_config(path: Path, out: Path) -> EdgeConfig:
    try:
        config = with_clips(load_edge_config(path), os.environ.get(CLIPS_ENV))
    except EdgeConfigError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from exc
    device = f"{config.device_id}-{os.getpid()}"  # a fresh edge box per demo run, so tokens never clash
    http = config.http.model_copy(update={"port": 0})  # no metrics port: a real worker may run beside it
    return config.model_copy(update={"device_id": device, "data_dir": out / "edge", "http": http})


def with_clips(config: EdgeConfig, clips: str | None) -> EdgeConfig:
    """File cameras read from the `clips` folder when given (same file names); every clip must exist.

    Raises EdgeConfigError naming the missing file and how to point the demo at the clips.
    """
    cameras = []
    for camera in config.cameras:
        if camera.url is None or is_stream_url(camera.url):
            cameras.append(camera)
            continue
        url = str(Path(clips) / Path(camera.url).name) if clips else camera.url
        if not Path(url).is_file():
            where = (
                f"{CLIPS_ENV}={clips}" if clips else "the edge config (../shared/clips/ beside the checkout)"
            )
            raise EdgeConfigError(
                f"camera {camera.id}: clip not found: {url} (from {where}); set {CLIPS_ENV} to the folder "
                f"that holds {Path(camera.url).name}"
            )
        cameras.append(camera.model_copy(update={"url": url}))
    return config.model_copy(update={"cameras": cameras})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _api(database: str, port: int | None = None) -> Iterator[str]:
    port = port or _free_port()
    log = (Path(database.removeprefix("sqlite:///")).parent / "api.log").open("w")
    command = [
        sys.executable,
        "-m",
        "gridwatch",
        *(["--verbose"] if is_verbose() else []),
        "api",
        "serve",
        "--port",
        str(port),
        "--database-url",
        database,
        "--centre-config",
        str(CENTRE),
    ]
    with subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT) as process:
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process)
            yield url
        finally:
            process.terminate()
            process.wait(20)
            log.close()


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).is_success:
                return
        time.sleep(0.3)
    err.print("[bold red]error:[/] the centre API did not start; see api.log")
    raise typer.Exit(code=1)


def _events(url: str, token: str, evidence_dir: Path) -> list[dict[str, Any]]:
    evidence_dir.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        items = client.get("/v1/events", params={"limit": 100}).raise_for_status().json()["items"]
        for event in items:
            detail = client.get(f"/v1/events/{event['code']}").raise_for_status().json()
            first = detail["alerts"][0]["alert_id"] if detail["alerts"] else None
            event["evidence_file"] = ""
            if first is not None:
                jpeg = client.get(f"/v1/events/{event['code']}/alerts/{first}/evidence")
                if jpeg.is_success:
                    path = evidence_dir / f"{event['code']}.jpg"
                    path.write_bytes(jpeg.content)
                    event["evidence_file"] = str(path)
    return list(items)


def _show(events: list[dict[str, Any]], out: Path, steps: list[NextStep]) -> None:
    """The events table, then where to look next, on stdout (the demo's answer; progress is on stderr)."""
    with (out / "events.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump({"events": events}, handle, allow_unicode=True)
    table = Table(title=f"grid events made by the centre ({len(events)})")
    for column in ("code", "type", "grid path", "first seen", "alerts", "evidence file"):
        table.add_column(column, overflow="fold")
    for event in events:
        table.add_row(event["code"], event["type_code"], event["grid_path"], event["first_seen"],
                      str(event["alert_count"]), event["evidence_file"])  # fmt: skip
    console = Console(width=max(160, Console().width))
    console.print(table)
    console.print("\n[bold]where to look next[/]", highlight=False)
    width = max(len(step.what) for step in steps)
    for step in steps:
        console.print(f"  {step.what:<{width}}  {step.where}", highlight=False, soft_wrap=True)
