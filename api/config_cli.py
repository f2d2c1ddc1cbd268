"""`gridwatch api push-config BOX FILE` and `gridwatch api show-config BOX [--version N]`: an edge
box's configuration kept at the centre, saved and read straight in the centre's database; and
`edge_box_check`, the edge's own model as the centre's check of a configuration (commands wire it in:
`api` and `edge` never import each other)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError

from api.access_cli import CentreOption, ContextFactory, DbOption, cli_actor
from api.services.box_config import ConfigRejectedError, get_config, save_config
from edge.config import BoxConfig


def edge_box_check(document: dict[str, Any]) -> None:
    """Validate `document` with `edge.config.BoxConfig`; ConfigRejectedError naming every problem."""
    try:
        BoxConfig.model_validate(document)
    except ValidationError as exc:
        raise ConfigRejectedError(
            [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        ) from exc


def register(app: typer.Typer, context: ContextFactory) -> None:
    """Add the configuration commands to `app`; `context` opens a migrated database (exit 2 on API errors)."""

    @app.command("push-config")
    def push_config(
        box: Annotated[str, typer.Argument(help="The edge box's device id")],
        file: Annotated[Path, typer.Argument(help="YAML (or JSON) file: cameras, mqtt, sensors, wvp")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Validate FILE with the edge's own model and save it as the box's next configuration version."""
        document = _read(file)
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            try:
                saved = save_config(
                    session=session,
                    device_id=box,
                    document=document,
                    actor=cli_actor(),
                    now=datetime.now(UTC),
                    check=edge_box_check,
                )
            except ConfigRejectedError as exc:
                for error in exc.errors:
                    loc = ".".join(str(p) for p in error["loc"]) or "(top)"
                    typer.echo(f"error: {file}: {loc}: {error['msg']}", err=True)
                raise typer.Exit(2) from exc
            session.commit()
        for warning in saved.warnings:
            typer.echo(f"warning: {warning}", err=True)
        what = "saved as" if saved.created else "unchanged: already"
        typer.echo(f"box {box}: configuration {what} version {saved.row.version}")

    @app.command("show-config")
    def show_config(
        box: Annotated[str, typer.Argument(help="The edge box's device id")],
        version: Annotated[
            int | None, typer.Option(min=1, help="A saved version (default: the newest)")
        ] = None,
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Print a version of the box's configuration as YAML, after a comment saying which, who and when."""
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            row = get_config(session=session, device_id=box, version=version)
            saved = f"saved by {row.created_by} at {row.created_at.isoformat()}"
            typer.echo(f"# box {box}, version {row.version}, {saved}")
            typer.echo(yaml.safe_dump(row.document, allow_unicode=True, sort_keys=False), nl=False)


def _read(file: Path) -> object:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        typer.echo(f"error: {file} is not YAML or JSON text: {exc}", err=True)
        raise typer.Exit(2) from exc
