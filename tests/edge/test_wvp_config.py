"""wvp cameras in the edge YAML: the channel block, the wvp section, GB ids kept as text, secrets hidden."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.config import EdgeConfigError, load_edge_config
from ingest.wvp import WvpAuthError, WvpConfig, resolve_credentials
from tests.edge.test_config import REPO, Raw, camera, valid_config, write

GB_CAMERA = "32010200001320000001"
GB_PLATFORM = "32010200002000000001"


def wvp_config() -> Raw:
    raw = valid_config()
    raw["wvp"] = {"url": "http://10.0.0.5:18080/", "username": "gridwatch", "password_env": "WVP_PW"}
    entry = camera(raw)
    del entry["url"]
    entry["id"] = GB_CAMERA
    entry["wvp"] = {"device_id": GB_PLATFORM, "channel_id": GB_CAMERA}
    return raw


def test_a_wvp_camera_loads_with_its_ids_intact(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    write(tmp_path, wvp_config())
    text = path.read_text("utf-8")
    assert f"'{GB_CAMERA}'" in text  # safe_dump quotes digit strings, as the importer does
    config = load_edge_config(path)
    (cam,) = config.cameras
    assert cam.id == GB_CAMERA
    assert cam.wvp is not None
    assert (cam.wvp.device_id, cam.wvp.channel_id) == (GB_PLATFORM, GB_CAMERA)
    assert cam.is_live
    assert cam.url is None
    assert config.wvp is not None
    assert config.wvp.url == "http://10.0.0.5:18080"


def test_the_wvp_secret_is_never_shown(tmp_path: Path) -> None:
    raw = wvp_config()
    raw["wvp"] = {"url": "http://10.0.0.5:18080", "username": "gridwatch", "password": "pa55-in-file"}
    config = load_edge_config(write(tmp_path, raw))
    assert config.wvp is not None
    assert "pa55-in-file" not in repr(config) + str(config.model_dump())
    assert resolve_credentials(config.wvp).password == "pa55-in-file"


def test_a_missing_secret_variable_is_named() -> None:
    raw = wvp_config()
    with pytest.raises(WvpAuthError, match="environment variable WVP_PW"):
        resolve_credentials(WvpConfig.model_validate(raw["wvp"]), environ={})
    assert resolve_credentials(WvpConfig.model_validate(raw["wvp"]), environ={"WVP_PW": "x"}).password == "x"


def unquoted_id(raw: Raw) -> None:
    camera(raw)["id"] = int(GB_CAMERA)


def both_sources(raw: Raw) -> None:
    camera(raw)["url"] = "rtsp://cam/1"


def no_source(raw: Raw) -> None:
    del camera(raw)["wvp"]


def no_wvp_section(raw: Raw) -> None:
    del raw["wvp"]


def change_wvp(key: str, value: Any) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        camera(raw)["wvp"][key] = value

    return change


def change_section(key: str, value: Any) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        raw["wvp"][key] = value

    return change


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (unquoted_id, ["cameras.0.id", "read as a number", "quotes"]),
        (both_sources, ["give url", "or wvp"]),
        (no_source, ["give url", "or wvp"]),
        (no_wvp_section, ["read through wvp", "no wvp section", GB_CAMERA]),
        (change_wvp("channel_id", "3201020000132000001"), ["channel_id", "exactly 20 digits"]),
        (change_wvp("channel_id", int(GB_CAMERA)), ["channel_id", "read as a number"]),
        (change_wvp("device_id", None), ["device_id and channel_id go together"]),
        (change_wvp("common_id", 7), ["device_id + channel_id, or common_id"]),
        (change_section("url", "ftp://wvp"), ["wvp.url", "http(s)://host"]),
        (change_section("url", "http://admin:pw@wvp:18080"), ["not in the url"]),
        (change_section("password", "x"), ["password or password_env, not both"]),
        (change_section("api_key_env", "K"), ["username + password or with an API key"]),
        (change_section("username", None), ["username and password"]),
    ],
    ids=[
        "unquoted GB id", "url and wvp", "neither", "no wvp section", "19-digit channel", "numeric channel",
        "device without channel", "two addresses", "not http", "credentials in url", "password twice",
        "password and api key", "password without user",
    ],
)  # fmt: skip
def test_wvp_mistakes_are_refused_naming_them(
    tmp_path: Path, change: Callable[[Raw], None], named: list[str]
) -> None:
    raw = wvp_config()
    change(raw)
    with pytest.raises(EdgeConfigError) as caught:
        load_edge_config(write(tmp_path, raw))
    for part in named:
        assert part in str(caught.value), f"{part!r} not in {caught.value}"


def test_the_wvp_example_loads() -> None:
    config = load_edge_config(REPO / "configs" / "edge.wvp.example.yaml")
    assert [camera.id for camera in config.cameras] == ["32010200001320000001", "32010200001310000002"]
    assert all(camera.is_live and camera.wvp is not None for camera in config.cameras)
    assert config.cameras[1].wvp is not None
    assert config.cameras[1].wvp.common_id == 1042


def test_edge_run_names_a_missing_secret_variable_before_anything_starts(tmp_path: Path) -> None:
    path = write(tmp_path, wvp_config())
    env = {key: value for key, value in os.environ.items() if key != "WVP_PW"}
    result = subprocess.run(
        [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(path)],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 2
    assert "environment variable WVP_PW" in result.stderr.replace("\n", "")
    assert not (tmp_path / "gridwatch-edge").exists()  # no outbox was created
