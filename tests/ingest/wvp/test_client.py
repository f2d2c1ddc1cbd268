"""The wvp client against a wvp-shaped server: md5 login, token header, paging, errors, re-login."""

from __future__ import annotations

import hashlib
import logging

import pytest

from ingest.wvp import (
    WvpApiError,
    WvpAuthError,
    WvpChannelOfflineError,
    WvpChannelRef,
    WvpClient,
    WvpConfig,
    WvpCredentials,
    WvpLocator,
    WvpProtocolError,
    WvpUnreachableError,
)
from tests.support.rtsp import free_port
from tests.support.wvp import API_KEY, CAMERA, NVR, PASSWORD, PLATFORM, USER, FakeWvp, populate

LOGIN = "/api/user/login"


def client_for(wvp: FakeWvp, *, page_size: int = 3, password: str = PASSWORD) -> WvpClient:
    config = WvpConfig(url=wvp.url, username=USER, password_env="WVP_PW", page_size=page_size)
    return WvpClient(config, WvpCredentials(USER, password))


def test_login_sends_the_md5_of_the_password_and_the_token_as_access_token(fake_wvp: FakeWvp) -> None:
    populate(fake_wvp)
    with client_for(fake_wvp) as wvp:
        devices = list(wvp.devices())
    assert fake_wvp.state.passwords_seen == [hashlib.md5(PASSWORD.encode()).hexdigest()]
    assert fake_wvp.requests[LOGIN] == 1
    assert fake_wvp.state.headers_seen
    assert all(fake_wvp.state.headers_seen)
    assert [d.device_id for d in devices] == [PLATFORM, NVR]
    assert devices[0].online
    assert devices[0].channel_count == 9


def test_pages_through_a_device_s_channels(fake_wvp: FakeWvp) -> None:
    codes = populate(fake_wvp, cameras=7)  # 7 cameras + a business group + a directory node = 9 items
    with client_for(fake_wvp, page_size=4) as wvp:
        channels = list(wvp.device_channels(PLATFORM))
    assert fake_wvp.requests[f"/api/device/query/devices/{PLATFORM}/channels"] == 3  # 4 + 4 + 1
    assert [c.code for c in channels[:7]] == codes[:7]
    assert channels[0].name == "东门口 1号枪机"
    assert channels[0].device_id == PLATFORM
    assert (channels[0].lon, channels[0].lat, channels[0].online) == (118.701, 32.002, True)
    assert channels[-1].code == "32010200"
    assert channels[-1].lon is None


def test_pages_through_the_common_channel_list(fake_wvp: FakeWvp) -> None:
    populate(fake_wvp, cameras=5)
    with client_for(fake_wvp, page_size=2) as wvp:
        channels = list(wvp.common_channels())
    assert fake_wvp.requests["/api/common/channel/list"] == 4  # 8 items, 2 a page
    first = channels[0]
    assert first.api == "common"
    assert first.common_id == fake_wvp.common_id(first.code)
    assert first.code == "32010200001320000001"
    assert first.device_id is None


def test_a_code_other_than_0_is_an_api_error_with_code_and_message(fake_wvp: FakeWvp) -> None:
    populate(fake_wvp)
    fake_wvp.fail_next("/api/device/query/devices", 500, "系统异常")
    with client_for(fake_wvp) as wvp, pytest.raises(WvpApiError, match="code 500 系统异常") as caught:
        list(wvp.devices())
    assert (caught.value.code, caught.value.msg) == (500, "系统异常")


def test_an_expired_token_logs_in_again_once_and_repeats_the_request(fake_wvp: FakeWvp) -> None:
    populate(fake_wvp)
    with client_for(fake_wvp) as wvp:
        assert len(list(wvp.devices())) == 2
        fake_wvp.expire_tokens()
        assert len(list(wvp.devices())) == 2
    assert fake_wvp.requests[LOGIN] == 2


def test_a_refused_password_is_an_auth_error_that_never_shows_the_password(
    fake_wvp: FakeWvp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with client_for(fake_wvp, password="wrong-pw-123") as wvp, pytest.raises(WvpAuthError) as caught:
        list(wvp.devices())
    assert "用户名或密码错误" in str(caught.value)
    assert USER in str(caught.value)
    shown = str(caught.value) + caplog.text + repr(WvpCredentials(USER, "wrong-pw-123"))
    assert "wrong-pw-123" not in shown
    assert hashlib.md5(b"wrong-pw-123").hexdigest() not in shown


def test_an_api_key_goes_in_the_access_token_header_and_is_never_renewed(fake_wvp: FakeWvp) -> None:
    populate(fake_wvp)
    config = WvpConfig(url=fake_wvp.url, api_key_env="WVP_KEY")
    with WvpClient(config, WvpCredentials(api_key=API_KEY)) as wvp:
        assert len(list(wvp.devices())) == 2
    assert fake_wvp.requests[LOGIN] == 0
    assert fake_wvp.state.headers_seen[0] == API_KEY
    with (
        WvpClient(config, WvpCredentials(api_key="revoked")) as wvp,
        pytest.raises(WvpAuthError, match="API key"),
    ):
        list(wvp.devices())


def test_play_returns_the_stream_content_of_the_channel(fake_wvp: FakeWvp) -> None:
    populate(fake_wvp)
    fake_wvp.set_stream(CAMERA, "rtsp://127.0.0.1:554/rtp/x")
    with client_for(fake_wvp) as wvp:
        by_device = wvp.play(WvpChannelRef(device_id=PLATFORM, channel_id=CAMERA))
        by_common = wvp.play(WvpChannelRef(common_id=fake_wvp.common_id(CAMERA)))
    assert by_device.rtsp == by_common.rtsp == "rtsp://127.0.0.1:554/rtp/x"
    assert (by_device.app, by_device.stream) == ("rtp", f"{PLATFORM}_{CAMERA}")
    assert fake_wvp.state.plays[CAMERA] == 2


@pytest.mark.parametrize("common", [False, True])
def test_playing_a_channel_whose_device_is_offline_says_offline(fake_wvp: FakeWvp, common: bool) -> None:
    populate(fake_wvp)
    fake_wvp.set_device_online(PLATFORM, False)
    ref = WvpChannelRef(common_id=fake_wvp.common_id(CAMERA)) if common else WvpChannelRef(
        device_id=PLATFORM, channel_id=CAMERA
    )  # fmt: skip
    with client_for(fake_wvp) as wvp, pytest.raises(WvpChannelOfflineError, match="offline in wvp") as caught:
        wvp.play_or_explain(ref)
    assert (caught.value.code, caught.value.msg) == (100, "点播超时")


def test_a_play_refusal_of_an_online_channel_stays_an_api_error(fake_wvp: FakeWvp) -> None:
    populate(fake_wvp)
    fake_wvp.fail_next(f"/api/play/start/{PLATFORM}/{CAMERA}", -3, "资源耗尽")
    with client_for(fake_wvp) as wvp, pytest.raises(WvpApiError, match="资源耗尽") as caught:
        wvp.play_or_explain(WvpChannelRef(device_id=PLATFORM, channel_id=CAMERA))
    assert not isinstance(caught.value, WvpChannelOfflineError)


def test_a_play_answer_without_rtsp_is_named(fake_wvp: FakeWvp) -> None:
    populate(fake_wvp)
    fake_wvp.state.play_rtsp = False
    with client_for(fake_wvp) as wvp, pytest.raises(WvpProtocolError, match="no rtsp URL"):
        WvpLocator(wvp, WvpChannelRef(device_id=PLATFORM, channel_id=CAMERA)).locate()


def test_an_unknown_route_is_a_protocol_error_and_a_closed_port_unreachable(fake_wvp: FakeWvp) -> None:
    with client_for(fake_wvp) as wvp, pytest.raises(WvpProtocolError, match="HTTP 404 without a WVPResult"):
        wvp._call("/api/not/in/this/version", {})
    config = WvpConfig(url=f"http://127.0.0.1:{free_port()}", username=USER, password_env="X", timeout_s=2)
    with WvpClient(config, WvpCredentials(USER, PASSWORD)) as wvp, pytest.raises(WvpUnreachableError):
        list(wvp.devices())


def test_the_older_device_channel_shape_is_read_too(fake_wvp: FakeWvp) -> None:
    """Before 2.7, ``channelId`` was the channel's code, ``deviceId`` its device's and status 1/0."""
    old = {"channelId": CAMERA, "deviceId": PLATFORM, "name": "老版本通道", "status": 1, "longitude": 118.7,
           "latitude": 32.0, "civilCode": "320102"}  # fmt: skip
    fake_wvp.add_device(PLATFORM, channels=[old])
    with client_for(fake_wvp) as wvp:
        (found,) = list(wvp.device_channels(PLATFORM))
    assert (found.code, found.device_id, found.online, found.civil_code) == (CAMERA, PLATFORM, True, "320102")
