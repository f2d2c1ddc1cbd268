"""`gridwatch api ...`: serve, migrate, import grids, escalate, and admin commands."""

from __future__ import annotations

import json
import logging
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError

from api import access_cli, config_cli, fleet_cli
from api.access_cli import CentreOption, DbOption, cli_actor
from api.app import build_context, create_app
from api.context import ApiContext
from api.deps import context_of
from api.errors import ApiError
from api.jobs.units import run_escalation, run_retention
from api.logic.manifest import verify_export
from api.logic.roles import Role
from api.migrate import upgrade
from api.server import serve as serve_app
from api.services.accounts import set_password
from api.services.grids import import_grids
from api.services.principals import create_device, create_user
from api.settings import ApiSettings
from gridwatch.clitools import fail

logger = logging.getLogger(__name__)

app = typer.Typer(help="The central API: alerts in, grid events out.", no_args_is_help=True)

OnceOption = Annotated[bool, typer.Option("--once", help="Run one sweep and exit (required)")]
Done = TypeVar("Done")


def _settings(database_url: str | None, centre_config: Path | None) -> ApiSettings:
    overrides: dict[str, object] = {}
    if database_url:
        overrides["database_url"] = database_url
    if centre_config:
        overrides["centre_config"] = centre_config
    try:
        return ApiSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise fail(f"settings: {exc}") from exc


@contextmanager
def _context(database_url: str | None, centre_config: Path | None) -> Iterator[ApiContext]:
    """A migrated database and loaded config; API errors become exit code 2 with their message."""

    try:
        ctx = build_context(_settings(database_url, centre_config))
        ctx.box_check = config_cli.edge_box_check
        upgrade(ctx.engine)
        yield ctx
    except ApiError as exc:
        raise fail(str(exc)) from exc
    finally:
        if "ctx" in locals():
            ctx.engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
    database_url: DbOption = None,
    centre_config: CentreOption = None,
) -> None:
    """Serve the API (migrates a SQLite database on start)."""
    try:
        application = create_app(_settings(database_url, centre_config))
    except ApiError as exc:
        raise fail(str(exc)) from exc
    context_of(application).box_check = config_cli.edge_box_check  # box configurations: the edge's model
    serve_app(application, host=host, port=port)


@app.command()
def migrate(database_url: DbOption = None, centre_config: CentreOption = None) -> None:
    """Bring the database schema to the newest revision."""
    with _context(database_url, centre_config) as ctx:
        typer.echo(f"database {ctx.engine.url.render_as_string(hide_password=True)} is up to date")


@app.command("import-grids")
def import_grids_command(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of grid nodes")],
    database_url: DbOption = None,
    centre_config: CentreOption = None,
) -> None:
    """Import or update grid nodes; the same file twice changes nothing; a bad file changes nothing."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise fail(f"{file}: {exc}") from exc
    with _context(database_url, centre_config) as ctx, ctx.sessions() as session:
        result = import_grids(session=session, data=data)
        session.commit()
    typer.echo(f"{file}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")


def _sweep_once(
    once: bool, database_url: str | None, centre_config: Path | None, job: Callable[[ApiContext], Done]
) -> Done:
    """One sweep of a job the server runs periodically; `--once` is required, so that nobody mistakes
    the command for the job itself."""
    if not once:
        raise fail("pass --once; the periodic job runs inside `gridwatch api serve`")
    with _context(database_url, centre_config) as ctx:
        return job(ctx)


@app.command()
def escalate(
    once: OnceOption = False, database_url: DbOption = None, centre_config: CentreOption = None
) -> None:
    """Escalate events past a deadline one level, with a 督办 record (the server also does this)."""
    written = _sweep_once(once, database_url, centre_config, run_escalation)
    typer.echo(f"{written} 督办 records written")


@app.command()
def retention(
    once: OnceOption = False, database_url: DbOption = None, centre_config: CentreOption = None
) -> None:
    """Delete evidence by the retention policy (never of open or held events); the server also does this."""
    report = _sweep_once(once, database_url, centre_config, run_retention)
    typer.echo(
        f"evidence of {report.events} events deleted: {report.clips} clips, {report.snapshots} snapshots, "
        f"{report.bytes} bytes"
    )


@app.command("verify-export")
def verify_export_command(
    file: Annotated[Path, typer.Argument(help="A case export zip (GET /v1/events/{code}/export)")],
) -> None:
    """Check a case export: every file's sha256 against its manifest; exit 1 when anything differs."""
    if not file.is_file():
        raise fail(f"{file}: no such file")
    try:
        problems = verify_export(file)
    except zipfile.BadZipFile as exc:
        raise fail(f"{file}: not a zip file ({exc})") from exc
    for problem in problems:
        typer.echo(problem)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{file}: every file matches its manifest")


@app.command("add-device")
def add_device(
    device_id: Annotated[str, typer.Argument(help="Device id, as the edge box sends it")],
    *,
    kind: Annotated[str, typer.Option(help="edge, camera or sensor")] = "edge",
    name: Annotated[str, typer.Option(help="Human-readable name")] = "",
    lon: Annotated[float | None, typer.Option(help="Longitude")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude")] = None,
    database_url: DbOption = None,
    centre_config: CentreOption = None,
) -> None:
    """Register a device; for an edge box, print its token (shown only this once)."""
    with _context(database_url, centre_config) as ctx, ctx.sessions() as session:
        device, token = create_device(
            session=session, device_id=device_id, kind=kind, name=name, lon=lon, lat=lat
        )
        session.commit()
    typer.echo(token if token else f"device {device.device_id} registered (no token: not an edge box)")


@app.command("add-user")
def add_user(
    username: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option(help="operator, supervisor, admin or case_system")] = "operator",
    scope: Annotated[str | None, typer.Option(help="Grid code of the subtree (default: all)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a console password from one line of stdin")
    ] = False,
    database_url: DbOption = None,
    centre_config: CentreOption = None,
) -> None:
    """Create a user and print their token (shown only this once)."""
    if role not in {r.value for r in Role}:
        raise fail(f"--role {role!r} is not one of {', '.join(r.value for r in Role)}")
    password = _stdin_password() if password_stdin else None
    with _context(database_url, centre_config) as ctx, ctx.sessions() as session:
        _user, token = create_user(session=session, username=username, role=Role(role), scope=scope)
        if password is not None:
            set_password(
                session=session,
                username=username,
                password=password,
                actor=cli_actor(),
                now=datetime.now(UTC),
            )
        session.commit()
    typer.echo(token)


def _stdin_password() -> str:
    """One line of stdin, without its line end; exit 2 when there is none."""
    line = sys.stdin.readline()
    if not line:
        raise fail("--password-stdin: nothing on standard input (give the password as one line)")
    return line.rstrip("\r\n")


@app.command("set-password")
def set_password_command(
    username: Annotated[str, typer.Argument(help="Login name")],
    database_url: DbOption = None,
    centre_config: CentreOption = None,
) -> None:
    """Set a user's console password (asked twice, or one line of stdin when piped); ends their sessions."""
    if sys.stdin.isatty():
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    else:
        password = _stdin_password()
    with _context(database_url, centre_config) as ctx, ctx.sessions() as session:
        ended = set_password(
            session=session, username=username, password=password, actor=cli_actor(), now=datetime.now(UTC)
        )
        session.commit()
    typer.echo(f"password of {username} set; {ended} open console session(s) ended")


access_cli.register(app, _context)
fleet_cli.register(app, _context)
config_cli.register(app, _context)
