"""Fixtures of the edge tests: a real central API process, an outbox, publishers on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edge.config import ApiConfig
from edge.outbox import Outbox
from edge.publisher import Publisher
from ingest.backoff import BackoffConfig
from tests.support.centre import CentreApi, Seeded, seed


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The demo grids, device `edge-test` and a supervisor, prepared once per module and copied per test."""
    return seed(tmp_path_factory.mktemp("centre") / "seed.db")


@pytest.fixture
def centre(seeded: Seeded, tmp_path: Path) -> Iterator[CentreApi]:
    """A started API on its own copy of the seeded database; stopped in teardown."""
    api = CentreApi(seeded, tmp_path)
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    """An empty outbox in the test's folder, closed in teardown."""
    box = Outbox(tmp_path / "edge" / "outbox.db")
    yield box
    box.close()


MakePublisher = Callable[..., Publisher]


@pytest.fixture
def make_publisher(outbox: Outbox) -> Iterator[MakePublisher]:
    """Start a publisher on the test's outbox (short backoff); every one is stopped in teardown."""
    started: list[Publisher] = []

    def make(url: str, token: str, *, batch: int = 20) -> Publisher:
        config = ApiConfig(url=url, token=token, timeout_s=5, backoff=BackoffConfig(initial_s=0.1, max_s=0.5))
        started.append(Publisher(outbox, config, batch=batch))
        started[-1].start()
        return started[-1]

    yield make
    for each in started:
        each.stop(drain_timeout_s=0)
