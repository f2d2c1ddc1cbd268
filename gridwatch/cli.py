"""The `gridwatch` command: one entry point, one sub-command group per package."""

from __future__ import annotations

import typer

from gridwatch import __version__

app = typer.Typer(
    name="gridwatch",
    help="GridWatch: cameras and sensors → alerts → grid events for governance centres.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Attach each package's commands; the list is explicit, not discovered."""
    from api.cli import app as api_app
    from detectors.cli import detect
    from edge.cli import app as edge_app
    from gridwatch.cameras.cli import app as cameras_app
    from gridwatch.demo import demo
    from gridwatch.doctor.cli import doctor
    from gridwatch.sensorsim.cli import app as sensors_app
    from models.cli import app as models_app

    app.add_typer(models_app, name="models")
    app.add_typer(api_app, name="api")
    app.add_typer(edge_app, name="edge")
    app.add_typer(sensors_app, name="sensors")
    app.add_typer(cameras_app, name="cameras")
    app.command(name="detect")(detect)
    app.command(name="demo")(demo)
    app.command(name="doctor")(doctor)


@app.callback()
def _root(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log at DEBUG level, with the libraries' request and step logs."
    ),
    json_logs: bool = typer.Option(False, "--json-logs", help="Log one JSON object per line."),
) -> None:
    from gridwatch.logs import setup_logging

    setup_logging(verbose=verbose, json_lines=json_logs)


@app.command()
def version() -> None:
    """Print the GridWatch version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    _register()
    app()
