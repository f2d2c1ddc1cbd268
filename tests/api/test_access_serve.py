"""Issue 11, case 7 (centre), against a real `gridwatch api serve` and the real command line: webhook
subscriptions deactivated and reactivated, users disabled and enabled, device and user tokens revoked
and rotated, every change audited; `/metrics` behind a token when one is set.

Before: none of this existed over the API, and `/metrics` was always open.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app as api_cli
from tests.api.builders import cell_center, make_alert
from tests.api.test_webhooks import Receiver, receiver
from tests.support.centre import CENTRE, CentreApi, Seeded, api_admin, seed, wait_for

__all__ = ["receiver"]
pytestmark = pytest.mark.slow
METRICS_TOKEN = "metrics-token-0123456789"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Seeded, str, str]:
    folder = tmp_path_factory.mktemp("access-seed")
    found = seed(folder / "seed.db")
    admin = api_admin("add-user", "root", "--role", "admin", database=found.database)
    case = api_admin("add-user", "cases", "--role", "case_system", database=found.database)
    return found, admin, case


@pytest.fixture
def centre(seeded: tuple[Seeded, str, str], tmp_path: Path) -> Iterator[CentreApi]:
    env = {
        "GRIDWATCH_API_WEBHOOK_ALLOW": "127.0.0.1",
        "GRIDWATCH_API_WEBHOOK_INTERVAL_S": "0.2",
        "GRIDWATCH_API_METRICS_TOKEN": METRICS_TOKEN,
    }
    api = CentreApi(seeded[0], tmp_path, env=env)
    api.start()
    try:
        yield api
    finally:
        api.stop()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_access_changes_over_the_api_are_audited(
    centre: CentreApi, seeded: tuple[Seeded, str, str], receiver: Receiver
) -> None:
    _, admin_token, case_token = seeded
    with httpx.Client(base_url=centre.url, timeout=30) as http:
        admin, case = _bearer(admin_token), _bearer(case_token)
        sub = http.post("/v1/webhooks", json={"url": receiver.url, "secret": "s" * 16}, headers=case).json()
        assert http.post(f"/v1/webhooks/{sub['id']}/deactivate", headers=admin).json()["active"] is False
        alert = make_alert("quiet-1", device_id="edge-test", at=cell_center(1, 1, 1))
        assert http.post("/v1/alerts", json=alert, headers=_bearer(centre.device_token)).status_code == 201
        time.sleep(1.0)  # five delivery sweeps
        assert receiver.received == [], "an inactive subscription is owed nothing yet"
        assert http.post(f"/v1/webhooks/{sub['id']}/reactivate", headers=case).json()["active"] is True
        later = make_alert("loud-1", device_id="edge-test", kind="fire", at=cell_center(1, 1, 1))
        opened = http.post("/v1/alerts", json=later, headers=_bearer(centre.device_token)).json()[
            "event_code"
        ]
        wait_for(lambda: len(receiver.received) == 1, "the delivery after reactivation", 10)
        assert json.loads(receiver.received[0][1])["event"]["code"] == opened

        assert http.post("/v1/admin/users/sup/disable", headers=admin).json()["disabled_at"] is not None
        assert http.get("/v1/events", headers=_bearer(centre.user_token)).status_code == 401
        assert http.post("/v1/admin/users/sup/enable", headers=admin).json()["disabled_at"] is None
        assert http.get("/v1/events", headers=_bearer(centre.user_token)).status_code == 200
        assert http.post("/v1/admin/users/root/disable", headers=admin).status_code == 409

        rotated = http.post("/v1/admin/users/sup/rotate-token", headers=admin).json()["token"]
        assert http.get("/v1/events", headers=_bearer(centre.user_token)).status_code == 401
        assert http.get("/v1/events", headers=_bearer(rotated)).status_code == 200
        assert http.post("/v1/admin/users/sup/revoke-token", headers=admin).status_code == 200
        assert http.get("/v1/events", headers=_bearer(rotated)).status_code == 401

        assert http.post("/v1/admin/devices/edge-test/revoke", headers=admin).status_code == 200
        again = make_alert("after-revoke", device_id="edge-test")
        assert http.post("/v1/alerts", json=again, headers=_bearer(centre.device_token)).status_code == 403
        fresh = http.post("/v1/admin/devices/edge-test/rotate", headers=admin).json()["token"]
        assert http.post("/v1/alerts", json=again, headers=_bearer(fresh)).status_code == 201
        assert http.post("/v1/alerts", json=again, headers=_bearer(centre.device_token)).status_code == 401

        audit = http.get("/v1/admin/audit", headers=admin).json()
    assert [(e["actor"], e["action"], e["target"]) for e in reversed(audit)] == [
        ("user:root", "webhook.deactivate", str(sub["id"])),
        ("user:cases", "webhook.reactivate", str(sub["id"])),
        ("user:root", "user.disable", "sup"),
        ("user:root", "user.enable", "sup"),
        ("user:root", "user.token.rotate", "sup"),
        ("user:root", "user.token.revoke", "sup"),
        ("user:root", "device.revoke", "edge-test"),
        ("user:root", "device.token.rotate", "edge-test"),
    ]


def test_metrics_want_the_token_when_one_is_set(centre: CentreApi) -> None:
    assert httpx.get(f"{centre.url}/metrics").status_code == 401
    assert httpx.get(f"{centre.url}/metrics", headers=_bearer("wrong-token-000000")).status_code == 401
    reply = httpx.get(f"{centre.url}/metrics", headers=_bearer(METRICS_TOKEN))
    assert reply.status_code == 200
    assert "gridwatch_job_restarts_total" in reply.text or "gridwatch_alerts_total" in reply.text


def test_the_command_line_does_the_same_and_is_audited(
    seeded: tuple[Seeded, str, str], tmp_path: Path
) -> None:
    database = tmp_path / "cli.db"
    database.write_bytes(seeded[0].database.read_bytes())
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(
            api_cli, [*args, "--database-url", f"sqlite:///{database}", "--centre-config", str(CENTRE)]
        )
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    token = run("rotate-device", "edge-test")
    assert token.startswith("gwd_")
    assert run("revoke-device", "edge-test") == "device edge-test revoked"
    assert run("disable-user", "sup") == "user sup disabled"
    assert run("enable-user", "sup") == "user sup enabled"
    assert run("rotate-user-token", "sup").startswith("gwu_")
    assert run("revoke-user-token", "sup") == "the token of sup is revoked"
    missing = runner.invoke(
        api_cli, ["webhook", "7", "deactivate", "--database-url", f"sqlite:///{database}"]
    )
    assert missing.exit_code == 2
    assert "no webhook subscription 7" in missing.output
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT actor, action, target FROM audit_log ORDER BY id")).all()
    engine.dispose()
    assert [(action, target) for _, action, target in rows] == [
        ("device.token.rotate", "edge-test"),
        ("device.revoke", "edge-test"),
        ("user.disable", "sup"),
        ("user.enable", "sup"),
        ("user.token.rotate", "sup"),
        ("user.token.revoke", "sup"),
    ]
    assert all(actor.startswith("cli:") for actor, _, _ in rows)
