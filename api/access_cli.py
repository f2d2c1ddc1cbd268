"""`gridwatch api ...` access commands: webhooks on/off, users disabled/enabled, tokens revoked or
rotated. Each is audited with the actor `cli:<os user>`; a rotated token is printed once."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from api.context import ApiContext
from api.services import access
from gridwatch.clitools import fail

ContextFactory = Callable[[str | None, Path | None], AbstractContextManager[ApiContext]]
DbOption = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL (default: $GRIDWATCH_API_DATABASE_URL)")
]
CentreOption = Annotated[
    Path | None, typer.Option("--centre-config", help="Centre YAML (default: configs/centre.example.yaml)")
]
Done = TypeVar("Done")


def cli_actor() -> str:
    """How the audit log names a command-line user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def register(app: typer.Typer, context: ContextFactory) -> None:
    """Add the access commands to `app`; `context` opens a migrated database (exit 2 on API errors)."""

    def change(
        database_url: str | None, centre_config: Path | None, how: Callable[..., Done], **what: Any
    ) -> Done:
        """`how(session=, actor=, now=, **what)` in a session of its own, committed, by this user."""
        with context(database_url, centre_config) as ctx, ctx.sessions() as session:
            done = how(session=session, actor=cli_actor(), now=datetime.now(UTC), **what)
            session.commit()
        return done

    @app.command("revoke-device")
    def revoke_device(
        device_id: Annotated[str, typer.Argument(help="Device id")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Revoke an edge box's token (rotate-device lets it back in with a new one)."""
        change(database_url, centre_config, access.revoke_device_token, device_id=device_id)
        typer.echo(f"device {device_id} revoked")

    @app.command("rotate-device")
    def rotate_device(
        device_id: Annotated[str, typer.Argument(help="Device id of an edge box")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Print a new token for an edge box (shown only this once); the old one stops working."""
        _, token = change(database_url, centre_config, access.rotate_device_token, device_id=device_id)
        typer.echo(token)

    @app.command("disable-user")
    def disable_user(
        username: Annotated[str, typer.Argument(help="Login name")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Disable a user: their token stops working at once."""
        change(database_url, centre_config, access.set_user_disabled, username=username, disabled=True)
        typer.echo(f"user {username} disabled")

    @app.command("enable-user")
    def enable_user(
        username: Annotated[str, typer.Argument(help="Login name")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Enable a disabled user again."""
        change(database_url, centre_config, access.set_user_disabled, username=username, disabled=False)
        typer.echo(f"user {username} enabled")

    @app.command("rotate-user-token")
    def rotate_user_token(
        username: Annotated[str, typer.Argument(help="Login name")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Print a new token for a user (shown only this once); the old one stops working."""
        _, token = change(database_url, centre_config, access.rotate_user_token, username=username)
        typer.echo(token)

    @app.command("revoke-user-token")
    def revoke_user_token(
        username: Annotated[str, typer.Argument(help="Login name")],
        database_url: DbOption = None,
        centre_config: CentreOption = None,
    ) -> None:
        """Make a user's token worthless (rotate-user-token issues a new one)."""
        change(database_url, centre_config, access.revoke_user_token, username=username)
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
            raise fail(f"state {state!r} is not deactivate or reactivate")
        active = state == "reactivate"
        change(
            database_url,
            centre_config,
            access.switch_subscription_by_id,
            subscription_id=subscription_id,
            active=active,
        )
        typer.echo(f"webhook {subscription_id} {'active' if active else 'inactive'}")
