"""`gridwatch doctor [--edge-config F] [--database-url U] [--json]`: check a box or a centre."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from gridwatch.doctor import box, centre, machine
from gridwatch.doctor.check import Check, Status, all_well
from gridwatch.doctor.disk import GIB, free_disk

if TYPE_CHECKING:
    from edge.config import EdgeConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIP: "dim"}
MAX_PROBES = 8
"""Cameras, broker and centre are probed in parallel, at most this many at once."""


def doctor(
    edge_config: Path | None = typer.Option(
        None, "--edge-config", "-c", help="Edge YAML: check its cameras, broker, centre URL/token and disk."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Centre database to check (default: $GRIDWATCH_API_DATABASE_URL)."
    ),
    centre_config: Path | None = typer.Option(
        None, "--centre-config", help="Centre YAML (default: $GRIDWATCH_API_CENTRE_CONFIG or the example)."
    ),
    check_centre: bool = typer.Option(
        False, "--centre", help="Check the centre even when no database URL is given (the default one)."
    ),
    min_free_gb: float = typer.Option(
        1.0, "--min-free-gb", min=0, help="Free disk wanted for the outbox, evidence and database."
    ),
    json_output: bool = typer.Option(False, "--json", help="One JSON object on stdout, for scripts."),
) -> None:
    """Check what a box or a centre needs; name each problem and the command that fixes it.

    Always: Python, packages, execution providers, models. With --edge-config: the edge config, its
    cameras (with their timeouts), its MQTT broker, the centre API and token, free disk. With
    --database-url (or the environment, or --centre): the centre config, database, schema, grids.
    Exit status 0 when nothing failed, 1 otherwise.
    """
    minimum = round(min_free_gb * GIB)
    checks = _machine_and_edge(edge_config, minimum)
    wants_centre = check_centre or database_url or centre_config
    if wants_centre or "GRIDWATCH_API_DATABASE_URL" in os.environ:
        checks += _centre(database_url, centre_config, minimum)
    if json_output:
        typer.echo(json.dumps({"ok": all_well(checks), "checks": [c.to_json() for c in checks]},
                              ensure_ascii=False, indent=2))  # fmt: skip
    else:
        _print(checks)
    raise typer.Exit(code=0 if all_well(checks) else 1)


def _machine_and_edge(path: Path | None, minimum: int) -> list[Check]:
    """This machine's checks, then (with an edge config) the box's."""
    from models.registry import DEFAULT_MODEL

    loaded, config = box.edge_config(path) if path is not None else (None, None)
    wanted = {name for camera in config.cameras for name in camera.detector.providers} if config else set()
    models = sorted({camera.detector.model for camera in config.cameras}) if config else [DEFAULT_MODEL]
    checks = [machine.python_version(), machine.packages(), machine.providers(wanted)]
    checks += [machine.model(name) for name in models]
    if path is None or loaded is None:
        return checks
    if config is None:
        return [*checks, loaded, Check.skip("edge checks", "the edge config did not load")]
    return [*checks, loaded, *_box(config, path, minimum)]


def _box(config: EdgeConfig, path: Path, minimum: int) -> list[Check]:
    """Centre API, broker and cameras probed in parallel (each bounded by its timeout), then disk."""
    probes: list[Callable[[], Check]] = [partial(box.centre_api, config, config_path=path)]
    if config.mqtt is not None:
        probes.append(partial(box.broker, config.mqtt, config_path=path))
    probes += [
        partial(box.camera, i, camera, config_path=path, wvp=config.wvp)
        for i, camera in enumerate(config.cameras)
    ]
    with ThreadPoolExecutor(max_workers=MAX_PROBES, thread_name_prefix="doctor") as pool:
        checks = list(pool.map(lambda probe: probe(), probes))
    disk = free_disk(config.data_dir, what="outbox and evidence", min_free_bytes=minimum,
                     setting=f"data_dir in {path}")  # fmt: skip
    return [*checks, disk]


def _centre(database_url: str | None, centre_config: Path | None, minimum: int) -> list[Check]:
    from pydantic import ValidationError

    from api.settings import ApiSettings

    overrides: dict[str, object] = {"database_url": database_url} if database_url else {}
    if centre_config:
        overrides["centre_config"] = centre_config
    try:
        settings = ApiSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        return [Check.fail("centre settings", str(exc), fix="correct the GRIDWATCH_API_* environment")]
    checks = [centre.centre_config(settings.centre_config)]
    reached, engine = centre.open_database(settings.database_url)
    checks.append(reached)
    if engine is None:
        checks.append(Check.skip("database schema", "the database did not answer"))
    else:
        try:
            checks += [centre.schema(engine)]
            if checks[-1].status is Status.OK:
                checks.append(centre.grids(engine, grids_file=CONFIGS / "demo-county-grids.geojson"))
        finally:
            engine.dispose()
    folder = centre.sqlite_folder(settings.database_url)
    if folder is not None:
        checks.append(free_disk(folder, what="the centre database and evidence", min_free_bytes=minimum,
                                setting="--database-url"))  # fmt: skip
    return checks


def _print(checks: list[Check]) -> None:
    table = Table(title="gridwatch doctor")
    for column in ("check", "result", "found", "fix"):
        table.add_column(column, overflow="fold")
    for check in checks:
        result = f"[{STYLE[check.status]}]{check.status.value}[/]"
        table.add_row(check.name, result, check.detail, check.fix)
    wide = sys.stdout.isatty() or "COLUMNS" in os.environ
    console = Console(width=None if wide else 160)  # piped: wide enough for whole commands on one line
    console.print(table)
    failed = sum(check.status is Status.FAIL for check in checks)
    console.print(f"{failed} of {len(checks)} checks failed" if failed else "all is well", highlight=False)
    names = {check.name for check in checks}
    if "edge config" not in names and "database" not in names:
        console.print("this machine only: add --edge-config FILE for an edge box, --database-url URL for a "
                      "centre", highlight=False)  # fmt: skip
