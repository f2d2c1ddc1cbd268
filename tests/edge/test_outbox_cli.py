"""`gridwatch edge outbox list|retry|drop` as an operator runs it: real processes on a real outbox file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.outbox import AlertState, Outbox
from tests.edge.builders import put
from tests.edge.conftest import MakePublisher
from tests.support.centre import REPO, CentreApi, Seeded, wait_for
from tests.support.proxy import FaultyProxy


def outbox_cli(config: Path, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    """The command in its own process; `columns` is the terminal width the table gets."""
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", "edge", "outbox", *args, "--config", str(config)],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
        env={**os.environ, "COLUMNS": str(columns)},
    )  # fmt: skip


def listed(config: Path) -> list[dict[str, Any]]:
    result = outbox_cli(config, "list", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """An edge config whose data_dir is the test's `edge` folder (where the `outbox` fixture lives)."""
    raw = {
        "device_id": "edge-test",
        "api": {"url": "http://127.0.0.1:9", "token": "a-device-token"},
        "data_dir": "edge",
        "cameras": [{"id": "cam-1", "url": "clip.mp4", "location": {"lon": 118.702, "lat": 32.002}}],
    }
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture
def filled(outbox: Outbox) -> Outbox:
    """Two pending alerts, two parked ones, one delivered."""
    put(outbox, "pending", 2)
    put(outbox, "parked", 2)
    put(outbox, "done", 1)
    by_id = {p.alert.alert_id: p.seq for p in outbox.pending(10)}
    outbox.park(by_id["parked-0"], "centre refused it: HTTP 422: evidence.boxes: too many")
    outbox.park(by_id["parked-1"], "centre refused it: HTTP 409: alert_id already used")
    outbox.failed(by_id["pending-1"], "HTTP 500: boom", retry_in_s=600)
    outbox.delivered(by_id["done-0"])
    return outbox


def test_list_shows_state_attempts_next_attempt_and_reason(config: Path, filled: Outbox) -> None:
    rows = {row["id"]: row for row in listed(config)}
    assert sorted(rows) == ["parked-0", "parked-1", "pending-0", "pending-1"]  # delivered ones left out
    assert rows["parked-0"] | {"queued_at": None} == {
        "id": "parked-0", "kind": "intrusion", "severity": "high", "state": "parked", "attempts": 1,
        "queued_at": None, "next_attempt_at": None,
        "reason": "centre refused it: HTTP 422: evidence.boxes: too many",
    }  # fmt: skip
    assert (rows["pending-1"]["state"], rows["pending-1"]["reason"]) == ("pending", "HTTP 500: boom")
    assert rows["pending-1"]["next_attempt_at"] is not None
    table = outbox_cli(config, "list", "--state", "parked", columns=200)
    assert table.returncode == 0
    assert "HTTP 409: alert_id already used" in table.stdout
    assert "pending: 2, delivered: 1, parked: 2" in table.stdout


def test_retry_and_drop_act_on_the_ids_given(config: Path, filled: Outbox) -> None:
    retried = outbox_cli(config, "retry", "parked-0")
    assert retried.returncode == 0, retried.stderr
    assert "1 alert(s) will be sent again: parked-0" in retried.stderr
    dropped = outbox_cli(config, "drop", "--all-parked")
    assert dropped.returncode == 0, dropped.stderr
    assert "1 alert(s) dropped: parked-1" in dropped.stderr
    assert [p.alert.alert_id for p in filled.due(10)] == ["pending-0", "parked-0"]  # due now
    assert (filled.parked(), filled.dropped()) == (0, 1)
    assert {e.alert_id: e.attempts for e in filled.entries()}["parked-0"] == 0  # backoff starts over


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["retry", "parked-0", "nope", "gone"], "unknown alert id(s) in {outbox}: nope, gone"),
        (["drop", "done-0"], "already delivered, nothing to do: done-0"),
        (["drop"], "give alert ids or --all-parked"),
    ],
    ids=["unknown ids", "delivered id", "no ids"],
)
def test_bad_ids_exit_2_naming_them_and_change_nothing(
    config: Path, filled: Outbox, args: list[str], message: str
) -> None:
    before = filled.entries()
    result = outbox_cli(config, *args)
    assert result.returncode == 2
    assert message.format(outbox=filled.path) in result.stderr.replace("\n", "")
    assert filled.entries() == before


def test_no_outbox_yet_exits_2(config: Path) -> None:
    result = outbox_cli(config, "list")
    assert result.returncode == 2
    assert "no outbox at" in result.stderr
    assert not (config.parent / "edge").exists()  # nothing created


@pytest.mark.slow
def test_a_parked_alert_retried_by_the_operator_reaches_the_centre(
    config: Path, centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    """The proxy (a real HTTP server) refuses one alert with 422 until the "centre is fixed"; the
    publisher runs meanwhile, the operator's CLI works on the same outbox file from another process."""
    centre.start()
    [refused] = put(outbox, "refused", 1)
    with FaultyProxy(centre.url, fail={refused: 422}) as proxy:
        make_publisher(proxy.url, seeded.device_token)
        wait_for(lambda: outbox.parked() == 1, "the refused alert to be parked")
        del proxy.fail[refused]
        assert outbox_cli(config, "retry", refused).returncode == 0
        wait_for(lambda: outbox.counts() == {"pending": 0, "delivered": 1}, "the retried alert delivered")
    assert centre.alert_ids() == [refused]
    assert [e.state for e in outbox.entries(state=AlertState.DELIVERED)] == [AlertState.DELIVERED]
