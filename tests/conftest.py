"""Fixtures shared by every test package: a real RTSP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.rtsp import CLIPS_DIR, RtspServer, RtspServerError
from tests.support.wvp import FakeWvp

PERSON_CLIP = CLIPS_DIR / "one-by-one-person-detection.mp4"


def clip(path: Path) -> Path:
    """Return ``path`` if the shared clip is there; fail (never skip) the test if not."""
    if not path.is_file():
        pytest.fail(f"shared clip missing: {path} (set GRIDWATCH_CLIPS to the clips folder)")
    return path


@pytest.fixture
def rtsp_server(tmp_path: Path) -> Iterator[RtspServer]:
    """A started RTSP server looping the person clip (keyframe every 1 s) at ``server.url``."""
    server = RtspServer(clip(PERSON_CLIP), log=tmp_path / "rtsp-server.log")
    try:
        server.start()
    except RtspServerError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_wvp() -> Iterator[FakeWvp]:
    """A started wvp-shaped HTTP server on 127.0.0.1 with an empty catalogue."""
    with FakeWvp() as server:
        yield server
