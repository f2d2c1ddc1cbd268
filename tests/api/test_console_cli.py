"""`gridwatch api add-user --password-stdin`, `gridwatch api set-password`: argon2, sessions ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from api.orm import ConsoleAccount, ConsoleSession, User
from api.services.accounts import SessionPolicy, authenticate, start_session
from api.settings import ApiSettings
from tests.api.conftest import World


def _cli(settings: ApiSettings, *args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, [*args, "--database-url", settings.database_url, "--centre-config", str(settings.centre_config)],
        input=stdin,
    )  # fmt: skip
    return result.exit_code, result.output


def test_add_user_with_a_password_from_stdin(world: World) -> None:
    settings = world.ctx.settings
    code, output = _cli(settings, "add-user", "zhao", "--role", "operator", "--scope", "DX-T01",
                        "--password-stdin", stdin="a long secret 9\n")  # fmt: skip
    assert code == 0, output
    assert output.strip().startswith("gwu_")  # the API token, as before
    with world.ctx.sessions() as session:
        account = session.scalars(select(ConsoleAccount)).one()
        assert account.password_hash.startswith("$argon2id$")
        assert "a long secret 9" not in account.password_hash
        assert authenticate(session=session, username="zhao", password="a long secret 9") is not None
        assert authenticate(session=session, username="zhao", password="a long secret") is None


def test_a_bad_password_is_refused_and_nothing_is_created(world: World) -> None:
    settings = world.ctx.settings
    code, output = _cli(settings, "add-user", "qian", "--password-stdin", stdin="short\n")
    assert code == 2
    assert "password: at least 8 characters" in output
    code, output = _cli(settings, "add-user", "qian", "--password-stdin")
    assert code == 2
    assert "nothing on standard input" in output
    with world.ctx.sessions() as session:
        assert session.scalar(select(User).where(User.username == "qian")) is None


def test_set_password_ends_the_users_sessions(world: World) -> None:
    settings = world.ctx.settings
    assert _cli(settings, "set-password", "op_t1", stdin="first password\n")[0] == 0
    with world.ctx.sessions() as session:
        user = session.scalars(select(User).where(User.username == "op_t1")).one()
        policy = SessionPolicy(lifetime=timedelta(hours=1), idle=timedelta(hours=1))
        now = datetime.now(UTC)
        start_session(session=session, user=user, policy=policy, now=now, address="127.0.0.1", user_agent="t")
        session.commit()
    code, output = _cli(settings, "set-password", "op_t1", stdin="second password\n")
    assert code == 0, output
    assert "1 open console session(s) ended" in output
    with world.ctx.sessions() as session:
        assert session.scalars(select(ConsoleSession.ended_at)).one() is not None
        assert authenticate(session=session, username="op_t1", password="second password") is not None
    assert _cli(settings, "set-password", "nobody", stdin="whatever 123\n")[0] == 2
