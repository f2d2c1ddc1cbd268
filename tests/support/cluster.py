"""A centre on several machines, on one: PostgreSQL, N `gridwatch api serve` replicas and the real
HAProxy running `deploy/haproxy.cfg`, each on a free port of 127.0.0.1, started and stopped here.

The database is a fresh one on the local PostgreSQL, migrated once with `gridwatch api migrate`
(as the README's deployment does) and seeded with the demo grids, edge boxes and users. Replicas
run through `tests.support.offline` (they resolve and reach loopback only).
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app as api_cli
from tests.api.builders import demo_source_rows
from tests.support.centre import CENTRE, GRIDS, REPO, free_port, wait_for
from tests.support.processes import stop_process

HAPROXY = Path("/usr/sbin/haproxy")
HAPROXY_CFG = REPO / "deploy" / "haproxy.cfg"
REPLICA_ENV = REPO / "deploy" / "gridwatch-api.env"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PASSWORD = "correct horse battery"
"""The console password of the seeded operator `duty`."""
DYNAMIC_SERVER = "check inter 1s fastinter 500ms downinter 1s fall 2 rise 2 on-marked-down shutdown-sessions"
"""The `default-server` line of deploy/haproxy.cfg: servers added at run time do not inherit it."""


def deploy_env() -> dict[str, str]:
    """The settings of `deploy/gridwatch-api.env`, the environment every replica is given."""
    lines = [line.strip() for line in REPLICA_ENV.read_text(encoding="utf-8").splitlines()]
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return {key: value for key, value in pairs}


def api_admin(*args: str, url: str, stdin: str | None = None) -> str:
    """Run a `gridwatch api` command on the database at `url`; its standard output."""
    command = [*args, "--database-url", url, "--centre-config", str(CENTRE)]
    result = CliRunner().invoke(api_cli, command, input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@dataclass
class CentreDatabase:
    """A fresh PostgreSQL database, migrated once, with the demo grids, edge boxes and users (a
    supervisor `sup`, a case system `case`, an operator `duty` with the console password)."""

    devices: Iterable[str] = ("edge-01",)
    name: str = field(default_factory=lambda: f"gridwatch_ha_{secrets.token_hex(4)}")
    device_tokens: dict[str, str] = field(default_factory=dict)
    user_tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"

    def create(self) -> CentreDatabase:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        api_admin("migrate", url=self.url)
        api_admin("import-grids", str(GRIDS), url=self.url)
        rows = []
        for device in self.devices:
            self.device_tokens[device] = api_admin("add-device", device, url=self.url)
            rows += demo_source_rows(device)
        with tempfile.TemporaryDirectory() as folder:
            sources = Path(folder) / "sources.yaml"
            sources.write_text(yaml.safe_dump(rows), encoding="utf-8")
            api_admin("import-sources", str(sources), url=self.url)
        for user, role in (("sup", "supervisor"), ("case", "case_system")):
            self.user_tokens[user] = api_admin("add-user", user, "--role", role, url=self.url)
        self.user_tokens["duty"] = api_admin(
            "add-user", "duty", "--role", "operator", "--password-stdin", url=self.url, stdin=f"{PASSWORD}\n"
        )
        return self

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Rows of a query on the centre's database (for checks, outside the API)."""
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={self.name}") as conn:
            return list(conn.execute(sql, params).fetchall())


class Replica:
    """One `gridwatch api serve` on PostgreSQL, on a fixed free port (kept across restarts), with the
    environment of `deploy/gridwatch-api.env` (its database, centre config and evidence folder
    replaced by the test's; the evidence folder is shared by the replicas, as the file asks)."""

    def __init__(self, name: str, database: CentreDatabase, folder: Path, env: Mapping[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        self._env = {
            **os.environ,
            **deploy_env(),
            "GRIDWATCH_API_DATABASE_URL": database.url,
            "GRIDWATCH_API_CENTRE_CONFIG": str(CENTRE),
            "GRIDWATCH_API_REPLICA_ID": name,
            "GRIDWATCH_API_EVIDENCE_STORE": json.dumps({"type": "local", "path": str(folder / "evidence")}),
            **env,
        }
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process (without waiting for it to answer)."""
        command = [sys.executable, "-m", "tests.support.offline", "api", "serve", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=self._env
            )

    def healthy(self) -> bool:
        """/healthz answers 200 (fails the test if the process has exited)."""
        assert self._process is not None
        if self._process.poll() is not None:
            pytest.fail(
                f"replica {self.name} exited with {self._process.returncode}:\n{self.log.read_text()[-3000:]}"
            )
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def health(self) -> dict[str, object]:
        """The replica's /healthz body."""
        body = httpx.get(f"{self.url}/healthz", timeout=5).json()
        assert isinstance(body, dict)
        return body

    def kill9(self) -> None:
        """SIGKILL: the process ends at once, mid-request, with nothing cleaned up."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=10)
        self._process = None

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_process(process, grace_s=30)

    def cpu_s(self) -> float:
        """CPU seconds the process has used so far (user + system, from /proc)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


class Balancer:
    """The real HAProxy running `deploy/haproxy.cfg` unchanged, its addresses set through the
    environment as the file documents; `admin()` talks to its runtime API."""

    def __init__(self, replicas: list[Replica], folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.socket = folder / "haproxy.sock"
        self.log = folder / "haproxy.log"
        servers = {f"GRIDWATCH_API{i}": f"127.0.0.1:{r.port}" for i, r in enumerate(replicas, start=1)}
        self._env = {
            **os.environ,
            "GRIDWATCH_LB_BIND": f"127.0.0.1:{self.port}",
            "GRIDWATCH_LB_ADMIN_SOCKET": str(self.socket),
            **servers,
        }
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        check = subprocess.run(
            [str(HAPROXY), "-c", "-f", str(HAPROXY_CFG)],
            env=self._env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [str(HAPROXY), "-db", "-f", str(HAPROXY_CFG)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env,
            )
        wait_for(self.socket.exists, f"HAProxy's admin socket (log: {self.log})", timeout_s=20)

    def admin(self, command: str) -> str:
        """One command of HAProxy's runtime API; its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, str]:
        """Each replica server's status as HAProxy sees it (UP, DOWN, MAINT, ...)."""
        rows = csv.DictReader(io.StringIO(self.admin("show stat").lstrip("# ")))
        return {
            r["svname"]: r["status"] for r in rows if r["pxname"] == "replicas" and r["svname"] != "BACKEND"
        }

    def wait_states(self, wanted: Mapping[str, str], timeout_s: float = 60) -> None:
        """Wait until HAProxy's health checks show each named server in the wanted state."""
        wait_for(
            lambda: all(self.states().get(name, "").startswith(state) for name, state in wanted.items()),
            f"HAProxy to see {dict(wanted)} (now {self.states()})",
            timeout_s=timeout_s,
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_process(process, grace_s=10)


class Cluster:
    """PostgreSQL + N replicas + HAProxy; replicas are named api1..apiN as in `deploy/haproxy.cfg`."""

    def __init__(
        self, folder: Path, *, replicas: int, devices: Iterable[str], env: Mapping[str, str]
    ) -> None:
        self.folder = folder
        self.env = env
        self.database = CentreDatabase(devices=tuple(devices))
        self.replicas = [Replica(f"api{i}", self.database, folder, env) for i in range(1, replicas + 1)]
        self.balancer = Balancer(self.replicas, folder)

    def start(self) -> Cluster:
        self.database.create()
        for replica in self.replicas:
            replica.start()
        for replica in self.replicas:
            wait_for(
                replica.healthy,
                f"replica {replica.name} to answer /healthz (log: {replica.log})",
                timeout_s=120,
            )
        self.balancer.start()
        self.balancer.wait_states({r.name: "UP" for r in self.replicas})
        return self

    def add_replica(self) -> Replica:
        """Start one more replica and add it to the running HAProxy through its runtime API, as the
        README says (no reload); returns it once HAProxy's checks have it UP."""
        replica = Replica(f"api{len(self.replicas) + 1}", self.database, self.folder, self.env)
        self.replicas.append(replica)
        replica.start()
        wait_for(replica.healthy, f"replica {replica.name} to answer /healthz", timeout_s=120)
        server = f"replicas/{replica.name}"
        for command in (f"add server {server} 127.0.0.1:{replica.port} {DYNAMIC_SERVER}",
                        f"enable health {server}", f"enable server {server}"):  # fmt: skip
            answer = self.balancer.admin(command).strip()
            assert answer in ("", "New server registered."), f"{command}: {answer}"
        self.balancer.wait_states({replica.name: "UP"})
        return replica

    def stop(self) -> None:
        self.balancer.stop()
        for replica in self.replicas:
            replica.stop()
        self.database.drop()

    def user(self, name: str) -> dict[str, str]:
        """Authorization header of a seeded user ("sup" supervisor, "case" case system)."""
        return {"Authorization": f"Bearer {self.database.user_tokens[name]}"}
