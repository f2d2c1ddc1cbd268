"""Fixtures of the edge tests: a real central API process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
