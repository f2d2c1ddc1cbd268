"""`gridwatch api add-source` and `import-sources`: register a box's cameras and sensors.

Both go through the same parsing (`SourceIn` / `SourceRow`) and services as `/v1/devices…`; bad
input exits 2 with a message naming the row and field, and an import stores all rows or none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from api.access_cli import CentreOption, ContextFactory, DbOption
from api.logic.source_file import SourceFileError, parse_sources
from api.schemas.devices import SourceIn, SourceKindIn
from api.services.inventory import add_source, import_sources


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _spec(fields: dict[str, object]) -> SourceIn:
    try:
        return SourceIn.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise _fail(f"--{'.'.join(str(p) for p in first['loc']).replace('_', '-')}: {first['msg']}") from None


def register(app: typer.Typer, context: ContextFactory) -> None:
    """Add the inventory commands to `app`; `context` opens a migrated database (exit 2 on API errors)."""

    @app.command("add-source")
    def add_source_command(
        box_id: Annotated[str, typer.Argument(help="The edge box (as registered with add-device)")],
        source_id: Annotated[str, typer.Argument(help="Camera or sensor id, as in the box's config")],
        *,
        kind: Annotated[SourceKindIn, typer.Option(help="camera or sensor")],
        lon: Annotated[float, typer.Option(help="Registered longitude (WGS-84)")],
        lat: Annotated[float, typer.Option(help="Registered latitude (WGS-84)")],
        name: Annotated[str, typer.Option(help="Human-readable name")] = "",
        gb_id: Annotated[str | None, typer.Option(help="20-digit GB/T 28181 id")] = None,
        notes: Annotated[str, typer.Option(help="Free notes")] = "",
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Register a camera or sensor of a box; its alerts are placed by this location."""
        spec = _spec(
            {"source_id": source_id, "kind": kind, "lon": lon, "lat": lat, "name": name, "gb_id": gb_id,
             "notes": notes}
        )  # fmt: skip
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            device = add_source(session=session, grids=ctx.grids, box_id=box_id, spec=spec, now=_now())
            session.commit()
            cell = device.cell_code or "outside every grid cell"
        typer.echo(f"{spec.kind.value} {source_id} of {box_id} registered ({cell})")

    @app.command("import-sources")
    def import_sources_command(
        file: Annotated[Path, typer.Argument(help="CSV (header: box_id,source_id,kind,lon,lat,...) or YAML")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Create or update the sources of a CSV/YAML list; one bad row stores nothing."""
        try:
            rows = parse_sources(file)
        except SourceFileError as exc:
            raise _fail(str(exc)) from None
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            created, updated = import_sources(session=session, grids=ctx.grids, rows=rows, now=_now())
            session.commit()
        typer.echo(f"{file}: {created} created, {updated} updated")


def _now() -> datetime:
    return datetime.now(UTC)
