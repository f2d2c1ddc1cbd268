"""Checks of a centre: its config, its database reachable and migrated, grids imported."""

from __future__ import annotations

import shlex
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from gridwatch.doctor.check import Check

CONNECT_TIMEOUT_S = 5
POSTGRES_START = "sudo systemctl start postgresql"


def centre_config(path: Path) -> Check:
    """The centre YAML loads and validates."""
    from api.centre import load_centre_config
    from api.errors import ConfigError

    try:
        config = load_centre_config(path)
    except ConfigError as exc:
        return Check.fail("centre config", str(exc), fix=f"correct {path} (configs/centre.example.yaml is "
                          "the reference) or pass --centre-config")  # fmt: skip
    return Check.ok(
        "centre config", f"{path}: county {config.county_code} {config.county_name}, "
        f"{len(config.event_types)} event types",
    )  # fmt: skip


def open_database(url: str) -> tuple[Check, Engine | None]:
    """Connect to the database once (bounded); the engine when it answered."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        return Check.fail("database", f"{url!r} is not a database URL: {exc}", fix=_url_fix()), None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        missing = _missing_sqlite_file(parsed)
        if missing is not None:
            return Check.fail(
                "database", f"{shown}: the file {missing} does not exist", fix=migrate_command(parsed)
            ), None
    args = {"connect_timeout": CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
    try:
        engine = create_engine(parsed, poolclass=NullPool, connect_args=args)
        with engine.connect() as connection:
            version = connection.dialect.server_version_info
    except SQLAlchemyError as exc:
        return Check.fail("database", f"{shown}: {_reason(exc)}", fix=_connect_fix(parsed, exc)), None
    numbers = ".".join(str(part) for part in version or ())
    return Check.ok("database", f"{shown} answers ({engine.dialect.name} {numbers})".strip()), engine


def schema(engine: Engine) -> Check:
    """The database is at the newest migration this GridWatch ships."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from api.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config(engine))
    head = scripts.get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return Check.ok("database schema", f"migrated (revision {head})")
    if current is None:
        return Check.fail(
            "database schema", "empty: no GridWatch tables yet", fix=migrate_command(engine.url)
        )
    known = {script.revision for script in scripts.walk_revisions()}
    if current not in known:
        return Check.fail(
            "database schema", f"at revision {current}, which this GridWatch does not know (newest: {head})",
            fix="install the GridWatch version that made this database "
            "(git pull && .venv/bin/pip install -e .)",
        )  # fmt: skip
    return Check.fail(
        "database schema", f"at revision {current}; the newest is {head}", fix=migrate_command(engine.url)
    )


def grids(engine: Engine, *, grids_file: Path) -> Check:
    """Grid nodes are imported (without them every alert lands in a flagged, unplaced event)."""
    from api.orm.grid import Grid

    with engine.connect() as connection:
        nodes = connection.scalar(select(func.count()).select_from(Grid)) or 0
        cells = connection.scalar(select(func.count()).select_from(Grid).where(Grid.geometry.is_not(None)))
    if nodes == 0:
        return Check.warn(
            "grids", "no grid nodes imported: alerts cannot be placed in a 网格 cell",
            fix=f"gridwatch api import-grids YOUR-GRIDS.geojson --database-url {_shown(engine.url)}   "
            f"(the demo county: {grids_file})",
        )  # fmt: skip
    return Check.ok("grids", f"{nodes} grid nodes, {cells or 0} with a polygon")


def sqlite_folder(url: str) -> Path | None:
    """The folder of a SQLite database file (its evidence lives in it), else None."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).parent


def migrate_command(url: URL) -> str:
    """The command that creates or upgrades the schema of `url`."""
    return f"gridwatch api migrate --database-url {_shown(url)}"


def _shown(url: URL) -> str:
    return shlex.quote(url.render_as_string(hide_password=True))


def _missing_sqlite_file(url: URL) -> Path | None:
    if url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return None if path.is_file() else path


def _reason(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return " ".join(text.split())[:400]


def _connect_fix(url: URL, exc: SQLAlchemyError) -> str:
    reason = _reason(exc).lower()
    host, port = url.host or "localhost", url.port or 5432
    if url.get_backend_name() != "postgresql":
        return f"check the database file and its folder's permissions, or {_url_fix()}"
    if f'database "{url.database}" does not exist' in reason:
        return (
            f"createdb -h {host} -p {port} -U {url.username or 'postgres'} {url.database} && "
            f"{migrate_command(url)}"
        )
    if "password" in reason or "role" in reason or "authentication" in reason:
        return (
            f"create the role or fix the password in the URL (sudo -u postgres createuser --pwprompt "
            f"{url.username or 'gridwatch'}), or {_url_fix()}"
        )
    return (
        f"start PostgreSQL on {host}:{port} ({POSTGRES_START}; check with pg_isready -h {host} -p {port}), "
        f"or {_url_fix()}"
    )


def _url_fix() -> str:
    return "correct --database-url / $GRIDWATCH_API_DATABASE_URL"
