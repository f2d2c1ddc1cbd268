"""`gridwatch cameras import-wvp URL --user U --password-stdin [--filter PREFIX] --config edge.yaml`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from gridwatch.cameras.catalogue import CatalogueFilter, read_wvp_catalogue
from gridwatch.cameras.edge_yaml import EdgeConfigInventory, WvpSection
from gridwatch.cameras.inventory import ImportReport, InventoryError
from gridwatch.clitools import err, fail
from gridwatch.contracts import Location
from ingest.wvp import WvpAuthError, WvpClient, WvpConfig, WvpCredentials, WvpError
from ingest.wvp.shapes import ChannelApi

app = typer.Typer(help="Cameras: import a GB/T 28181 catalogue from wvp-GB28181-pro.", no_args_is_help=True)

PASSWORD_ENV = "GRIDWATCH_WVP_PASSWORD"
API_KEY_ENV = "GRIDWATCH_WVP_API_KEY"


@app.command("import-wvp")
def import_wvp(
    url: str = typer.Argument(..., help="wvp's base URL, e.g. http://10.0.0.5:18080"),
    config: Path = typer.Option(..., "--config", "-c", help="Edge YAML to write the cameras into."),
    user: str | None = typer.Option(None, "--user", "-u", help="wvp user name (with --password-stdin)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the wvp password from stdin."),
    api_key_stdin: bool = typer.Option(False, "--api-key-stdin", help="Read a wvp API key from stdin."),
    prefix: str = typer.Option("", "--filter", help="Only channels whose civil code starts with this."),
    api: str = typer.Option(
        "device", "--api", help="device (device API) or common (newer wvp's common list)."
    ),
    types: str = typer.Option("131,132", "--types", help="GB type codes to import (131 camera, 132 IPC)."),
    default_location: str | None = typer.Option(
        None, "--default-location", help="LON,LAT for new cameras wvp has no coordinates for."
    ),
    env_name: str | None = typer.Option(
        None, "--secret-env", help=f"Variable the edge worker reads the secret from ({PASSWORD_ENV})."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would change; write nothing."),
) -> None:
    """Add wvp's cameras to an edge config; re-run to update names, locations and online state.

    Zones, lines, rules and every other setting of a camera are left as they are. The password is
    never written: the config names an environment variable that `gridwatch edge run` reads it from.
    """
    if api not in {"device", "common"}:
        raise fail(f"--api {api!r}: give device or common")
    channel_api: ChannelApi = "common" if api == "common" else "device"
    if password_stdin == api_key_stdin or (password_stdin != (user is not None)):
        raise fail("log in with --user U --password-stdin, or with --api-key-stdin (one of the two)")
    name = env_name or (PASSWORD_ENV if user else API_KEY_ENV)
    try:
        selection = CatalogueFilter(prefix, frozenset(t.strip() for t in types.split(",") if t.strip()))
        wvp_config = WvpConfig(url=url, username=user, password_env=name if user else None,
                               api_key_env=None if user else name)  # fmt: skip
        location = _location(default_location)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    secret = _read_secret()
    credentials = WvpCredentials(user, secret, None) if user else WvpCredentials(api_key=secret)
    section = WvpSection(wvp_config.url, user, wvp_config.password_env, wvp_config.api_key_env)
    inventory = EdgeConfigInventory(config, section, default_location=location)
    try:
        with WvpClient(wvp_config, credentials) as client:
            now = datetime.now(UTC).replace(microsecond=0)
            catalogue = read_wvp_catalogue(client, api=channel_api, selection=selection, now=now)
        report = inventory.apply(catalogue, write=not dry_run)
    except (WvpAuthError, InventoryError) as exc:
        raise fail(str(exc)) from exc
    except WvpError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from exc
    _print(report, skipped=len(catalogue.skipped), config=config, dry_run=dry_run, env=name)


def _read_secret() -> str:
    """One line from stdin (a pipe or a terminal), without its newline."""
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise fail('no password or API key on stdin (e.g. printf %s "$WVP_PASSWORD" | gridwatch ...)')
    return secret


def _location(text: str | None) -> Location | None:
    if text is None:
        return None
    try:
        lon, lat = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise ValueError(f"--default-location {text!r}: give LON,LAT, e.g. 118.70,32.00") from exc
    return Location(lon=lon, lat=lat)


def _print(report: ImportReport, *, skipped: int, config: Path, dry_run: bool, env: str) -> None:
    table = Table(title=f"cameras from wvp → {config}" + (" (dry run, nothing written)" if dry_run else ""))
    table.add_column("change")
    table.add_column("cameras", justify="right")
    table.add_column("ids (first 5)")
    rows = [
        ("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged),
        ("no longer in wvp (kept, marked offline)", report.missing),
        ("left out: no coordinates (see --default-location)", report.no_location),
        ("left out: id used by a camera of another source", report.conflicts),
    ]  # fmt: skip
    for label, ids in rows:
        table.add_row(label, str(len(ids)), ", ".join(ids[:5]))
    table.add_row("catalogue entries that are not cameras or outside --filter", str(skipped), "")
    err.print(table)
    err.print(f"`gridwatch edge run` reads the wvp secret from the environment variable {env}")
