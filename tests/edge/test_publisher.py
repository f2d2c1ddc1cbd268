"""The publisher against the real central API: a `gridwatch api serve` process on 127.0.0.1.

Every test gets its own SQLite database (the demo county, device `edge-test`, a supervisor) and its
own server process, stopped in teardown. Alerts are counted at the API through `GET /v1/events`.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app as api_cli
from edge.outbox import Outbox
from edge.publisher import ApiConfig, Publisher
from tests.edge.builders import make_alert

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CENTRE = REPO / "configs" / "centre.example.yaml"
GRIDS = REPO / "configs" / "demo-county-grids.geojson"
DEVICE = "edge-test"
WAIT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Poll until `condition()` holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.05)


def api_admin(*args: str, database: Path) -> str:
    """Run a `gridwatch api` admin command on `database`; its standard output."""
    result = CliRunner().invoke(
        api_cli, [*args, "--database-url", f"sqlite:///{database}", "--centre-config", str(CENTRE)]
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@dataclass(frozen=True)
class Seeded:
    """A prepared database file and the tokens in it."""

    database: Path
    device_token: str
    user_token: str


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The demo grids, device `edge-test` and a supervisor, prepared once and copied per test."""
    database = tmp_path_factory.mktemp("centre") / "seed.db"
    api_admin("import-grids", str(GRIDS), database=database)
    device_token = api_admin("add-device", DEVICE, database=database)
    user_token = api_admin("add-user", "sup", "--role", "supervisor", database=database)
    return Seeded(database, device_token, user_token)


class CentreApi:
    """`python -m gridwatch api serve` on a free port of 127.0.0.1 with its own copy of the database."""

    def __init__(self, seeded: Seeded, folder: Path) -> None:
        self.database = folder / "centre.db"
        shutil.copyfile(seeded.database, self.database)
        self.user_token = seeded.user_token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "api.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gridwatch", "api", "serve", "--port", str(self.port),
            "--database-url", f"sqlite:///{self.database}", "--centre-config", str(CENTRE),
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, f"the API to answer /healthz (log: {self.log})")

    def _healthy(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            pytest.fail(f"the API exited with {self._process.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)

    def revoke(self, device_id: str) -> None:
        api_admin("revoke-device", device_id, database=self.database)

    def alert_ids(self) -> list[str]:
        """Every alert id the centre holds, through the events a supervisor sees (one per alert)."""
        headers = {"Authorization": f"Bearer {self.user_token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as client:
            page = client.get("/v1/events", params={"limit": 500})
            page.raise_for_status()
            events = page.json()["items"]
            found: list[str] = []
            for event in events:
                detail = client.get(f"/v1/events/{event['code']}")
                detail.raise_for_status()
                alerts = [a["alert_id"] for a in detail.json()["alerts"]]
                assert len(alerts) == event["alert_count"], event
                found += alerts
        return found

    def posted(self) -> dict[str, float]:
        """Alerts the API took, by outcome (opened, joined, replay), from its /metrics."""
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        found = re.findall(r'^gridwatch_alerts_total\{outcome="(\w+)"\} (\S+)$', text, re.MULTILINE)
        return {outcome: float(value) for outcome, value in found}


@pytest.fixture
def centre(seeded: Seeded, tmp_path: Path) -> Iterator[CentreApi]:
    api = CentreApi(seeded, tmp_path)
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "edge" / "outbox.db")
    yield box
    box.close()


MakePublisher = Callable[..., Publisher]


@pytest.fixture
def make_publisher(outbox: Outbox) -> Iterator[MakePublisher]:
    """Start a publisher on the test's outbox (short backoff); every one is stopped in teardown."""
    started: list[Publisher] = []

    def make(url: str, token: str, *, batch: int = 20) -> Publisher:
        config = ApiConfig(url=url, token=token, timeout_s=5, backoff_initial_s=0.1, backoff_max_s=0.5)
        started.append(Publisher(outbox, config, batch=batch))
        started[-1].start()
        return started[-1]

    yield make
    for each in started:
        each.stop(drain_timeout_s=0)


def put(outbox: Outbox, prefix: str, count: int, *, device_id: str = DEVICE) -> list[str]:
    ids = [f"{prefix}-{k}" for k in range(count)]
    for alert_id in ids:
        assert outbox.put(make_alert(alert_id, device_id=device_id))
    return ids


def test_queued_alerts_arrive_at_the_api(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    centre.start()
    before = put(outbox, "early", 5)  # queued before the publisher starts
    publisher = make_publisher(centre.url, seeded.device_token, batch=3)
    after = put(outbox, "late", 4)  # queued while it runs
    publisher.notify()
    assert publisher.stop(drain_timeout_s=WAIT_S) is True
    assert outbox.depth() == 0
    assert outbox.counts() == {"pending": 0, "delivered": 9}
    assert (publisher.stats.sent, publisher.stats.failed) == (9, 0)
    assert sorted(centre.alert_ids()) == sorted(before + after)


@pytest.mark.parametrize("refusal", ["unknown token", "revoked device"])
def test_a_refused_token_keeps_the_alerts_queued(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher, refusal: str
) -> None:
    token = "gwd_this-token-was-never-issued"
    if refusal == "revoked device":
        centre.revoke(DEVICE)
        token = seeded.device_token
    centre.start()
    queued = put(outbox, "refused", 3)
    publisher = make_publisher(centre.url, token)
    wait_for(lambda: publisher.stats.failed >= 1, "the publisher to count a refusal")
    assert publisher.stop(drain_timeout_s=1) is False
    assert publisher.stats.sent == 0
    assert outbox.counts() == {"pending": 3, "delivered": 0}
    pending = outbox.pending(10)
    assert [p.alert.alert_id for p in pending] == queued
    assert pending[0].attempts >= 1
    assert centre.alert_ids() == []


def test_a_refused_alert_does_not_block_the_ones_behind_it(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    centre.start()
    [foreign] = put(outbox, "foreign", 1, device_id="edge-other")  # this token may not post for it
    good = put(outbox, "good", 4)
    publisher = make_publisher(centre.url, seeded.device_token)
    wait_for(lambda: outbox.counts()["delivered"] == len(good), "the alerts behind the refused one")
    assert publisher.stop(drain_timeout_s=0) is False
    assert publisher.stats.failed >= 1
    assert [p.alert.alert_id for p in outbox.pending(10)] == [foreign]
    assert sorted(centre.alert_ids()) == sorted(good)


def test_alerts_queued_while_the_api_is_down_arrive_exactly_once(
    centre: CentreApi, seeded: Seeded, outbox: Outbox, make_publisher: MakePublisher
) -> None:
    while_down = put(outbox, "down", 6)
    publisher = make_publisher(centre.url, seeded.device_token, batch=4)
    wait_for(lambda: publisher.stats.retried >= 2, "failed attempts while nothing listens")
    assert outbox.depth() == len(while_down)
    centre.start()
    once_up = put(outbox, "up", 3)
    publisher.notify()
    assert publisher.stop(drain_timeout_s=WAIT_S) is True
    assert outbox.depth() == 0
    assert publisher.stats.sent == len(while_down) + len(once_up)
    arrived = centre.alert_ids()
    assert sorted(arrived) == sorted(while_down + once_up)  # each alert once, none missing
    posted = centre.posted()
    assert posted.get("opened", 0) + posted.get("joined", 0) == len(arrived)
    assert posted.get("replay", 0) == 0  # and none was posted twice
