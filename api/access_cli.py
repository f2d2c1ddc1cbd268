"""`gridwatch api ...` access commands: webhooks on/off, users disabled/enabled, tokens revoked or
rotated. Each is audited with the actor `cli:<os user>`; a rotated token is printed once."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from api.context import ApiContext
from api.errors import NotFoundError
from api.orm import Subscription
from api.services import access

ContextFactory = Callable[[str | None, Path | None], AbstractContextManager[ApiContext]]
DbOption = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL (default: $GRIDWATCH_API_DATABASE_URL)")
]
CentreOption = Annotated[
    Path | None, typer.Option("--centre-config", help="Centre YAML (default: configs/centre.example.yaml)")
]


def cli_actor() -> str:
    """How the audit log names a command-line user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def register(app: typer.Typer, context: ContextFactory) -> None:
    """Add the access commands to `app`; `context` opens a migrated database (exit 2 on API errors)."""

    @app.command("revoke-device")
    def revoke_device(
        device_id: Annotated[str, typer.Argument(help="Device id")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Revoke an edge box's token (rotate-device lets it back in with a new one)."""
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            access.revoke_device_token(session=session, device_id=device_id, actor=cli_actor(), now=_now())
            session.commit()
        typer.echo(f"device {device_id} revoked")

    @app.command("rotate-device")
    def rotate_device(
        device_id: Annotated[str, typer.Argument(help="Device id of an edge box")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Print a new token for an edge box (shown only this once); the old one stops working."""
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            _, token = access.rotate_device_token(
                session=session, device_id=device_id, actor=cli_actor(), now=_now()
            )
            session.commit()
        typer.echo(token)

    @app.command("disable-user")
    def disable_user(
        username: Annotated[str, typer.Argument(help="Login name")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Disable a user: their token stops working at once."""
        _set_disabled(context, username, True, database_url, centre_config)

    @app.command("enable-user")
    def enable_user(
        username: Annotated[str, typer.Argument(help="Login name")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Enable a disabled user again."""
        _set_disabled(context, username, False, database_url, centre_config)

    @app.command("rotate-user-token")
    def rotate_user_token(
        username: Annotated[str, typer.Argument(help="Login name")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Print a new token for a user (shown only this once); the old one stops working."""
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            _, token = access.rotate_user_token(
                session=session, username=username, actor=cli_actor(), now=_now()
            )
            session.commit()
        typer.echo(token)

    @app.command("revoke-user-token")
    def revoke_user_token(
        username: Annotated[str, typer.Argument(help="Login name")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Make a user's token worthless (rotate-user-token issues a new one)."""
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            access.revoke_user_token(session=session, username=username, actor=cli_actor(), now=_now())
            session.commit()
        typer.echo(f"the token of {username} is revoked")

    @app.command("webhook")
    def webhook(
        subscription_id: Annotated[int, typer.Argument(help="Subscription id (GET /v1/admin/webhooks)")],
        state: Annotated[str, typer.Argument(help="deactivate or reactivate")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Deactivate or reactivate a webhook subscription."""
        if state not in ("deactivate", "reactivate"):
            typer.echo(f"error: state {state!r} is not deactivate or reactivate", err=True)
            raise typer.Exit(2)
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            sub = session.get(Subscription, subscription_id)
            if sub is None:
                raise NotFoundError(f"no webhook subscription {subscription_id}")
            active = state == "reactivate"
            access.set_subscription_active(
                session=session, subscription=sub, active=active, actor=cli_actor(), now=_now()
            )
            session.commit()
        typer.echo(f"webhook {subscription_id} {'active' if active else 'inactive'}")


def _set_disabled(
    context: ContextFactory,
    username: str,
    disabled: bool,
    database_url: str | None,
    centre_config: Path | None,
) -> None:
    with context(database_url, centre_config) as ctx, ctx.sessions() as session:
        access.set_user_disabled(
            session=session, username=username, disabled=disabled, actor=cli_actor(), now=_now()
        )
        session.commit()
    typer.echo(f"user {username} {'disabled' if disabled else 'enabled'}")


def _now() -> datetime:
    return datetime.now(UTC)
