"""FFmpeg capture options: live and file opens get their own options and never overlap."""

from __future__ import annotations

import os
import threading
import time

import pytest

from ingest.ffmpeg_options import ENV, CaptureOptionsGate, merge_options


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("", "rtsp_transport;tcp|fflags;nobuffer"),
        ("rtsp_transport;udp", "rtsp_transport;udp|fflags;nobuffer"),
        ("stimeout;5000000|fflags;genpts", "stimeout;5000000|fflags;genpts|rtsp_transport;tcp"),
    ],
)
def test_user_options_win_and_defaults_fill_the_rest(user: str, expected: str) -> None:
    assert merge_options(user, {"rtsp_transport": "tcp", "fflags": "nobuffer"}) == expected


def test_options_hold_during_the_open_and_are_restored_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "probesize;32")
    gate = CaptureOptionsGate()
    with gate.applied(live=True):
        during = os.environ[ENV]
    assert during == "probesize;32|rtsp_transport;tcp|fflags;nobuffer"
    assert os.environ[ENV] == "probesize;32"


def test_unset_variable_is_unset_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with CaptureOptionsGate().applied(live=False):
        assert os.environ[ENV] == "rtsp_transport;tcp"
    assert ENV not in os.environ


def test_a_file_open_waits_for_a_live_open_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    gate = CaptureOptionsGate()
    seen: list[str] = []
    live_inside, release_live = threading.Event(), threading.Event()

    def live_open() -> None:
        with gate.applied(live=True):
            live_inside.set()
            release_live.wait(5)
            seen.append("live:" + os.environ[ENV])

    def file_open() -> None:
        with gate.applied(live=False):
            seen.append("file:" + os.environ[ENV])

    live, file = threading.Thread(target=live_open), threading.Thread(target=file_open)
    live.start()
    live_inside.wait(5)
    file.start()
    time.sleep(0.2)
    release_live.set()
    live.join(5)
    file.join(5)
    assert seen == ["live:rtsp_transport;tcp|fflags;nobuffer", "file:rtsp_transport;tcp"]
