"""The files of `deploy/` are what they say: HAProxy accepts the config, every line of the replica
environment is a setting of the API, and the systemd unit starts a command that exists."""

from __future__ import annotations

import re
import subprocess

from typer.testing import CliRunner

from api.cli import app as api_cli
from api.settings import ApiSettings
from tests.support.centre import REPO
from tests.support.cluster import HAPROXY, HAPROXY_CFG, REPLICA_ENV, deploy_env

UNIT = REPO / "deploy" / "gridwatch-api@.service"


def test_haproxy_accepts_the_config() -> None:
    check = subprocess.run(
        [str(HAPROXY), "-c", "-f", str(HAPROXY_CFG)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_replica_environment_is_made_of_api_settings() -> None:
    settings = ApiSettings(_env_file=REPLICA_ENV)
    assert settings.database_url == deploy_env()["GRIDWATCH_API_DATABASE_URL"]
    assert settings.migrate_on_start is False
    assert settings.store_config.type == "local"
    assert not settings.should_migrate_on_start


def test_the_unit_serves_on_its_port_with_that_environment() -> None:
    unit = UNIT.read_text(encoding="utf-8")
    (command,) = re.findall(r"^ExecStart=\S+/gridwatch (.+)$", unit, re.MULTILINE)
    assert command == "api serve --host 127.0.0.1 --port %i"
    assert "EnvironmentFile=/etc/gridwatch/api.env" in unit
    usage = CliRunner().invoke(api_cli, ["serve", "--help"]).output
    assert "--host" in usage
    assert "--port" in usage
