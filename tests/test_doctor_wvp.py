"""`gridwatch doctor` on a box with a wvp camera: wvp logs GridWatch in, plays the channel, the RTSP
re-stream gives a frame; a device offline in wvp fails the check with its reason and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.centre import free_port
from tests.support.rtsp import RtspServer
from tests.support.wvp import CAMERA, PASSWORD, PLATFORM, USER, FakeWvp, populate
from tests.test_doctor import doctor, edge_yaml

pytestmark = pytest.mark.slow


def test_doctor_plays_a_wvp_camera_and_names_an_offline_one(
    tmp_path: Path, fake_wvp: FakeWvp, rtsp_server: RtspServer
) -> None:
    populate(fake_wvp, cameras=1)
    fake_wvp.set_stream(CAMERA, rtsp_server.url)
    wvp_camera = {
        "id": CAMERA, "wvp": {"device_id": PLATFORM, "channel_id": CAMERA},
        "location": {"lon": 118.702, "lat": 32.002}, "open_timeout_s": 8,
    }  # fmt: skip
    config = edge_yaml(
        tmp_path, url=f"http://127.0.0.1:{free_port()}", token="t" * 16, broker_port=free_port(),
        cameras=[wvp_camera], wvp={"url": fake_wvp.url, "username": USER, "password_env": "GW_WVP_PW"},
    )  # fmt: skip
    env = {"GW_WVP_PW": PASSWORD}
    _, checks = doctor("--edge-config", str(config), env=env)
    check = checks[f"camera {CAMERA}"]
    assert check["status"] == "ok", check
    assert check["detail"].startswith(f"wvp channel {PLATFORM}/{CAMERA}: first frame 768x432")
    fake_wvp.set_device_online(PLATFORM, False)
    _, checks = doctor("--edge-config", str(config), env=env)
    check = checks[f"camera {CAMERA}"]
    assert check["status"] == "fail"
    assert "offline in wvp" in check["detail"]
    assert "wvp section" in check["fix"]
