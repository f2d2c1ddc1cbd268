"""A wvp camera as a video source: played through the wvp-shaped server, read from the real RTSP server,
dropped, played again (the source asks wvp anew), and frames flowing again; wvp errors as source states."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import SourceError, SourceState, VideoSource, VideoSourceConfig
from ingest.backoff import BackoffConfig
from ingest.wvp import WvpChannelRef, WvpClient, WvpConfig, WvpCredentials, WvpLocator
from tests.conftest import PERSON_CLIP, clip
from tests.ingest.test_rtsp_source import MARGIN_S, OPEN_TIMEOUT_S, READ_TIMEOUT_S, drain, wait_until
from tests.support.rtsp import RtspServer
from tests.support.wvp import CAMERA, PASSWORD, PLATFORM, USER, FakeWvp, populate

pytestmark = pytest.mark.slow
REF = WvpChannelRef(device_id=PLATFORM, channel_id=CAMERA)


def wvp_source(wvp: FakeWvp) -> tuple[VideoSource, WvpLocator]:
    config = WvpConfig(url=wvp.url, username=USER, password_env="WVP_PW", play_timeout_s=5)
    locator = WvpLocator(WvpClient(config, WvpCredentials(USER, PASSWORD)), REF)
    source_config = VideoSourceConfig(
        id=CAMERA, url=locator.name, located=True, open_timeout_s=OPEN_TIMEOUT_S,
        read_timeout_s=READ_TIMEOUT_S, backoff=BackoffConfig(initial_s=0.2, max_s=1.0, jitter=0.2),
    )  # fmt: skip
    return VideoSource(source_config, locator), locator


def test_played_dropped_and_played_again_through_wvp(
    fake_wvp: FakeWvp, rtsp_server: RtspServer, tmp_path: Path
) -> None:
    populate(fake_wvp)
    fake_wvp.set_stream(CAMERA, rtsp_server.url)
    source, locator = wvp_source(fake_wvp)
    replayed = RtspServer(clip(PERSON_CLIP), log=tmp_path / "replayed.log", path="/rtp/replayed")
    try:
        with source:
            first = source.read(timeout=OPEN_TIMEOUT_S + MARGIN_S)
            assert fake_wvp.state.plays[CAMERA] == 1
            assert source.state is SourceState.STREAMING
            rtsp_server.stop()  # ZLMediaKit closed the stream: its old URL serves nothing any more
            wait_until(lambda: source.health().failed_opens >= 1, timeout=READ_TIMEOUT_S + MARGIN_S)
            replayed.start()
            fake_wvp.set_stream(CAMERA, replayed.url)  # wvp plays it again, at another URL
            drain(source)
            again = source.read(timeout=OPEN_TIMEOUT_S + READ_TIMEOUT_S + MARGIN_S)
            health = source.health()
    finally:
        replayed.stop()
        locator.client.close()
    assert first.image.shape == again.image.shape == (432, 768, 3)
    assert again.index > first.index
    assert (health.state, health.reconnects) == (SourceState.STREAMING, 1)
    assert fake_wvp.state.plays[CAMERA] >= 3  # the first play, one per failed re-open, the one that worked
    assert locator.plays == fake_wvp.state.plays[CAMERA]


def test_wvp_errors_are_offline_reasons_and_the_camera_returns(
    fake_wvp: FakeWvp, rtsp_server: RtspServer
) -> None:
    populate(fake_wvp)
    fake_wvp.set_stream(CAMERA, rtsp_server.url)
    fake_wvp.set_device_online(PLATFORM, False)
    source, locator = wvp_source(fake_wvp)
    try:
        with source:
            wait_until(lambda: "offline in wvp" in source.health().last_error, timeout=MARGIN_S)
            assert source.state is SourceState.OFFLINE
            assert "点播超时" in source.health().last_error
            fake_wvp.fail_next(f"/api/play/start/{PLATFORM}/{CAMERA}", 500, "系统异常")
            fake_wvp.expire_tokens()  # wvp's login-timeout passed while the device was away
            fake_wvp.set_device_online(PLATFORM, True)
            frame = source.read(timeout=OPEN_TIMEOUT_S + MARGIN_S)
            seen = [t.reason for t in source.health().transitions if t.state is SourceState.OFFLINE]
    finally:
        locator.client.close()
    assert frame.image.shape == (432, 768, 3)
    assert any("code 500 系统异常" in reason for reason in seen)
    assert fake_wvp.requests["/api/user/login"] == 2  # logged in again after the token expired


def test_a_located_source_needs_its_locator() -> None:
    with pytest.raises(SourceError, match="needs a locator"):
        VideoSource(VideoSourceConfig(id="c", url="wvp://127.0.0.1/a/b", located=True))
