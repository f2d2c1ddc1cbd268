"""Live RTSP sources against a real GStreamer RTSP server on loopback: read, lose, stall and recover."""

from __future__ import annotations

import itertools
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest import Frame, FrameTimeoutError, SourceState, VideoSource, VideoSourceConfig
from ingest.backoff import BackoffConfig
from tests.conftest import clip
from tests.ingest.conftest import PERSON_CLIP
from tests.support.rtsp import RtspServer, RtspServerError, free_port

pytestmark = pytest.mark.slow

# The served clip has a keyframe every 1 s and FFmpeg probes about 3 s of stream when it opens:
# an 8 s open timeout is well above both, a 2 s read timeout well above the 0.1 s frame interval.
OPEN_TIMEOUT_S = 8.0
READ_TIMEOUT_S = 2.0
MARGIN_S = 5.0
FAST_BACKOFF = BackoffConfig(initial_s=0.2, max_s=1.0, jitter=0.2)


def live_config(url: str, **fields: object) -> VideoSourceConfig:
    """A source config for ``url`` with the test timeouts and a fast backoff."""
    base: dict[str, object] = {
        "id": "cam",
        "url": url,
        "open_timeout_s": OPEN_TIMEOUT_S,
        "read_timeout_s": READ_TIMEOUT_S,
        "backoff": FAST_BACKOFF,
    }
    return VideoSourceConfig.model_validate(base | fields)


def wait_until(condition: Callable[[], bool], timeout: float) -> float:
    """Poll ``condition`` until it holds; return the seconds it took, or fail the test after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


def drain(source: VideoSource) -> None:
    """Discard the frames already queued, without waiting for new ones."""
    try:
        while True:
            source.read(timeout=0.01)
    except FrameTimeoutError:
        return


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """An RTSP URL whose TCP port accepts connections but never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"rtsp://127.0.0.1:{sock.getsockname()[1]}/cam"


def test_reads_decimated_frames_from_a_live_server(rtsp_server: RtspServer) -> None:
    with VideoSource(live_config(rtsp_server.url, detect_fps=5)) as source:
        frames = [source.read(timeout=OPEN_TIMEOUT_S + MARGIN_S) for _ in range(8)]
        state = source.state
    steps = [round(b.pts - a.pts, 2) for a, b in itertools.pairwise(frames)]
    assert state is SourceState.STREAMING
    assert steps == [0.2] * 7
    assert [b.index - a.index for a, b in itertools.pairwise(frames)] == [2] * 7
    assert frames[0].image.shape == (432, 768, 3)


def test_server_loops_a_short_clip_into_one_continuous_stream(tmp_path: Path) -> None:
    server = RtspServer(clip(PERSON_CLIP), log=tmp_path / "rtsp.log", frames=20)
    try:
        server.start()
        with VideoSource(live_config(server.url)) as source:
            frames = [source.read(timeout=OPEN_TIMEOUT_S + MARGIN_S) for _ in range(45)]
            health = source.health()
    finally:
        server.stop()
    steps = {round(b.pts - a.pts, 2) for a, b in itertools.pairwise(frames)}
    assert steps == {0.1}
    assert (health.state, health.reconnects) == (SourceState.STREAMING, 0)


def test_slow_consumer_gets_recent_frames_and_drops_are_counted(rtsp_server: RtspServer) -> None:
    with VideoSource(live_config(rtsp_server.url, queue_size=2)) as source:
        first = source.read(timeout=OPEN_TIMEOUT_S + MARGIN_S)
        wait_until(lambda: source.health().frames_dropped >= 5, timeout=READ_TIMEOUT_S + MARGIN_S)
        later = source.read(timeout=READ_TIMEOUT_S)
    assert later.index - first.index > 5


def test_server_killed_and_restarted_goes_offline_then_resumes(rtsp_server: RtspServer) -> None:
    with VideoSource(live_config(rtsp_server.url)) as source:
        source.read(timeout=OPEN_TIMEOUT_S + MARGIN_S)
        rtsp_server.stop()
        wait_until(lambda: source.state is SourceState.OFFLINE, timeout=READ_TIMEOUT_S + MARGIN_S)
        drain(source)
        rtsp_server.start()
        frame = source.read(timeout=OPEN_TIMEOUT_S + MARGIN_S)
        health = source.health()
    seen = [t.state for t in health.transitions]
    assert frame.image.shape == (432, 768, 3)
    assert (health.state, health.reconnects) == (SourceState.STREAMING, 1)
    assert seen.index(SourceState.STALLED) < seen.index(SourceState.OFFLINE) < len(seen) - 1
    assert str(rtsp_server.port) in health.last_error


def test_stalled_server_times_out_then_the_stream_resumes(rtsp_server: RtspServer) -> None:
    with VideoSource(live_config(rtsp_server.url)) as source:
        source.read(timeout=OPEN_TIMEOUT_S + MARGIN_S)
        rtsp_server.pause()
        took = wait_until(lambda: source.state is SourceState.STALLED, timeout=READ_TIMEOUT_S + MARGIN_S)
        drain(source)
        with pytest.raises(FrameTimeoutError, match=r"state (stalled|connecting|offline)"):
            source.read(timeout=0.5)
        rtsp_server.resume()
        frame = source.read(timeout=OPEN_TIMEOUT_S + READ_TIMEOUT_S + MARGIN_S)
        health = source.health()
    assert took <= READ_TIMEOUT_S + MARGIN_S
    assert frame.image.shape == (432, 768, 3)
    assert (health.state, health.reconnects) == (SourceState.STREAMING, 1)


def test_a_refused_connection_goes_offline_and_says_so() -> None:
    """Issue 11 case 7: nobody listens on the port; that is "connection refused", not a timeout."""
    port = free_port()
    url = f"rtsp://127.0.0.1:{port}/nothing"
    with VideoSource(live_config(url)) as source:
        wait_until(lambda: source.health().failed_opens >= 2, timeout=MARGIN_S)
        with pytest.raises(FrameTimeoutError, match=re.escape(f"cannot open stream {url}")):
            source.read(timeout=0.2)
        assert source.state in {SourceState.OFFLINE, SourceState.CONNECTING}
        error = source.health().last_error
    assert (
        error == f"cannot open stream {url}: connection refused by 127.0.0.1:{port} (nothing listens there)"
    )
    assert "timeout" not in error


def test_server_that_never_answers_fails_the_open_within_its_timeout(silent_listener: str) -> None:
    config = live_config(silent_listener, open_timeout_s=2.0)
    with VideoSource(config) as source:
        took = wait_until(lambda: source.health().failed_opens >= 1, timeout=2.0 + MARGIN_S)
        health = source.health()
    assert took <= 2.0 + MARGIN_S
    assert f"cannot open stream {silent_listener} (open timeout 2 s)" in health.last_error
    assert "accepts connections but no stream opened" in health.last_error


def test_close_ends_the_frame_loop_while_an_open_hangs(silent_listener: str) -> None:
    source = VideoSource(live_config(silent_listener, open_timeout_s=2.0)).open()
    received: list[Frame] = []
    consumer = threading.Thread(target=lambda: received.extend(source.frames()))
    consumer.start()
    time.sleep(0.5)
    source.close()
    consumer.join(timeout=2.0 + READ_TIMEOUT_S + MARGIN_S)
    assert not consumer.is_alive()
    assert (received, source.state) == ([], SourceState.CLOSED)


def test_missing_gstreamer_bindings_fail_with_an_install_hint(tmp_path: Path) -> None:
    server = RtspServer(clip(PERSON_CLIP), log=tmp_path / "rtsp.log", python=Path(sys.executable))
    with pytest.raises(RtspServerError, match=re.escape("gir1.2-gst-rtsp-server-1.0")) as raised:
        server.start()
    assert "No module named 'gi'" in str(raised.value)
