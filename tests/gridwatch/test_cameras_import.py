"""`gridwatch cameras import-wvp`: wvp's catalogue into an edge config, and again without losing user work."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.config import load_edge_config
from gridwatch.cameras.catalogue import CatalogueFilter, read_wvp_catalogue
from gridwatch.cameras.edge_yaml import EdgeConfigInventory, WvpSection
from gridwatch.cameras.inventory import ImportReport, InventoryError
from gridwatch.contracts import Location
from ingest.wvp import WvpClient, WvpConfig, WvpCredentials
from ingest.wvp.shapes import ChannelApi
from tests.support.wvp import CAMERA, NVR, PASSWORD, PLATFORM, USER, FakeWvp, channel, populate

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "configs" / "edge.example.yaml"


@pytest.fixture
def edge_yaml(tmp_path: Path) -> Path:
    """A copy of the example edge config (two file cameras, many comments)."""
    path = tmp_path / "edge.yaml"
    shutil.copyfile(EXAMPLE, path)
    return path


def run_import(
    wvp: FakeWvp, path: Path, *, prefix: str = "", api: ChannelApi = "device", write: bool = True,
    default_location: Location | None = None, url: str | None = None,
) -> ImportReport:  # fmt: skip
    config = WvpConfig(url=url or wvp.url, username=USER, password_env="GRIDWATCH_WVP_PASSWORD")
    with WvpClient(config, WvpCredentials(USER, PASSWORD)) as client:
        catalogue = read_wvp_catalogue(
            client, api=api, selection=CatalogueFilter(prefix), now=datetime.now(UTC)
        )
    section = WvpSection(config.url, USER, "GRIDWATCH_WVP_PASSWORD")
    return EdgeConfigInventory(path, section, default_location=default_location).apply(catalogue, write=write)


def cameras_of(path: Path) -> dict[str, dict[str, Any]]:
    raw = yaml.safe_load(path.read_text("utf-8"))
    return {str(camera["id"]): camera for camera in raw["cameras"]}


def gridwatch(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", *args], input=stdin, capture_output=True, text=True,
        timeout=120, check=False, cwd=REPO,
    )  # fmt: skip


def test_the_command_imports_cameras_with_their_gb_ids_and_keeps_the_file_s_comments(
    fake_wvp: FakeWvp, edge_yaml: Path
) -> None:
    codes = populate(fake_wvp)
    before = edge_yaml.read_text("utf-8")
    result = gridwatch(
        "cameras", "import-wvp", fake_wvp.url, "--user", USER, "--password-stdin", "--config", str(edge_yaml),
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "added" in result.stderr
    assert "GRIDWATCH_WVP_PASSWORD" in result.stderr
    text = edge_yaml.read_text("utf-8")
    assert text.startswith(before.split("cameras:")[0])  # header comments and settings untouched
    assert "# Intel IoT DevKit sample, CC BY 4.0" in text
    assert "# people leave the room to the right" in text
    assert f'id: "{CAMERA}"' in text
    assert PASSWORD not in text
    config = load_edge_config(edge_yaml)
    assert config.wvp is not None
    assert config.wvp.password_env == "GRIDWATCH_WVP_PASSWORD"
    imported = {camera.id: camera for camera in config.cameras if camera.wvp is not None}
    assert sorted(imported) == sorted(codes)  # 7 platform IPCs + the NVR's camera; group and node left out
    first = imported[CAMERA]
    assert first.name == "东门口 1号枪机"
    assert (first.location.lon, first.location.lat) == (118.701, 32.002)
    assert first.wvp is not None
    assert (first.wvp.device_id, first.wvp.channel_id) == (PLATFORM, CAMERA)
    assert first.imported is not None
    assert first.imported.online
    assert first.imported.code == CAMERA
    assert first.imported.url == fake_wvp.url
    assert first.imported.api == "device"
    assert imported["32010300001310000001"].wvp.device_id == NVR  # type: ignore[union-attr]
    assert [c.id for c in config.cameras[:2]] == ["cam-room", "cam-lot"]  # the demo cameras stay


def test_a_re_import_updates_names_locations_and_state_but_not_zones_and_rules(
    fake_wvp: FakeWvp, edge_yaml: Path
) -> None:
    populate(fake_wvp)
    run_import(fake_wvp, edge_yaml)
    text = edge_yaml.read_text("utf-8").replace(
        f'  - id: "{CAMERA}"\n',
        f'  - id: "{CAMERA}"  # the east gate, watched at night\n'
        "    detect_fps: 2\n"
        "    rules:\n"
        "      zones: [{name: gate, points: [[0, 0], [100, 0], [100, 100]]}]\n"
        "      rules: [{type: intrusion, id: gate-night, zone: gate, classes: [person]}]\n",
    )  # fmt: skip
    edge_yaml.write_text(text, "utf-8")
    untouched_at = cameras_of(edge_yaml)["32010200001320000002"]["imported"]["at"]
    item = fake_wvp.state.channels[PLATFORM][0]
    item["name"], item["longitude"], item["latitude"] = "东门口 枪机(新)", 118.7333, 32.0444
    fake_wvp.set_device_online(NVR, False)
    report = run_import(fake_wvp, edge_yaml)
    assert sorted(report.updated) == sorted([CAMERA, "32010300001310000001"])
    assert not report.added
    assert len(report.unchanged) == 6
    after = edge_yaml.read_text("utf-8")
    assert f'id: "{CAMERA}"  # the east gate, watched at night' in after
    camera = cameras_of(edge_yaml)[CAMERA]
    assert camera["name"] == "东门口 枪机(新)"
    assert camera["location"] == {"lon": 118.7333, "lat": 32.0444}
    assert camera["detect_fps"] == 2
    assert camera["rules"]["rules"][0]["id"] == "gate-night"
    assert camera["rules"]["zones"][0]["points"] == [[0, 0], [100, 0], [100, 100]]
    assert cameras_of(edge_yaml)["32010300001310000001"]["imported"]["online"] is False
    assert cameras_of(edge_yaml)["32010200001320000002"]["imported"]["at"] == untouched_at
    assert run_import(fake_wvp, edge_yaml).updated == []  # a third run changes nothing
    assert edge_yaml.read_text("utf-8") == after


def test_the_civil_code_filter_imports_one_district(fake_wvp: FakeWvp, edge_yaml: Path) -> None:
    populate(fake_wvp)
    report = run_import(fake_wvp, edge_yaml, prefix="320103")
    assert report.added == ["32010300001310000001"]


def test_cameras_without_coordinates_need_a_default_location(fake_wvp: FakeWvp, edge_yaml: Path) -> None:
    fake_wvp.add_device(PLATFORM, channels=[channel(CAMERA, "无坐标", lon=None, lat=None)])
    assert run_import(fake_wvp, edge_yaml).no_location == [CAMERA]
    assert CAMERA not in cameras_of(edge_yaml)
    report = run_import(fake_wvp, edge_yaml, default_location=Location(lon=118.7, lat=32.0))
    assert report.added == [CAMERA]
    assert cameras_of(edge_yaml)[CAMERA]["location"] == {
        "lon": 118.7,
        "lat": 32.0,
    }


def test_a_camera_gone_from_wvp_is_kept_and_marked_offline(fake_wvp: FakeWvp, edge_yaml: Path) -> None:
    codes = populate(fake_wvp)
    run_import(fake_wvp, edge_yaml)
    fake_wvp.state.channels[PLATFORM].pop(1)
    report = run_import(fake_wvp, edge_yaml)
    assert report.missing == [codes[1]]
    assert cameras_of(edge_yaml)[codes[1]]["imported"]["online"] is False


def test_an_id_already_used_by_a_stream_camera_is_left_alone(fake_wvp: FakeWvp, edge_yaml: Path) -> None:
    populate(fake_wvp)
    text = edge_yaml.read_text("utf-8").replace("  - id: cam-lot\n", f'  - id: "{CAMERA}"\n')
    edge_yaml.write_text(text, "utf-8")
    report = run_import(fake_wvp, edge_yaml)
    assert report.conflicts == [CAMERA]
    assert cameras_of(edge_yaml)[CAMERA]["url"] == "../../shared/clips/car-detection.mp4"


def test_a_second_wvp_is_refused_and_the_file_is_unchanged(fake_wvp: FakeWvp, edge_yaml: Path) -> None:
    populate(fake_wvp)
    run_import(fake_wvp, edge_yaml)
    before = edge_yaml.read_text("utf-8")
    with FakeWvp() as other:
        populate(other)
        with pytest.raises(InventoryError, match="one wvp per edge config"):
            run_import(other, edge_yaml)
    assert edge_yaml.read_text("utf-8") == before


def test_the_common_api_records_wvp_s_channel_numbers(fake_wvp: FakeWvp, edge_yaml: Path) -> None:
    populate(fake_wvp)
    report = run_import(fake_wvp, edge_yaml, api="common")
    assert len(report.added) == 8
    camera = cameras_of(edge_yaml)[CAMERA]
    assert camera["wvp"] == {"common_id": fake_wvp.common_id(CAMERA)}
    assert camera["imported"]["api"] == "common"


def test_a_dry_run_writes_nothing(fake_wvp: FakeWvp, edge_yaml: Path) -> None:
    populate(fake_wvp)
    before = edge_yaml.read_text("utf-8")
    assert len(run_import(fake_wvp, edge_yaml, write=False).added) == 8
    assert edge_yaml.read_text("utf-8") == before


@pytest.mark.parametrize(
    ("args", "stdin", "named"),
    [
        (["--user", USER, "--password-stdin"], "wrong\n", "用户名或密码错误"),
        (["--user", USER, "--password-stdin"], "", "no password or API key on stdin"),
        (["--user", USER], PASSWORD, "--password-stdin"),
        (["--user", USER, "--password-stdin", "--filter", "32a"], PASSWORD, "must be digits"),
        (["--user", USER, "--password-stdin", "--api", "v3"], PASSWORD, "give device or common"),
    ],
)
def test_bad_input_exits_2_naming_it(
    fake_wvp: FakeWvp, edge_yaml: Path, args: list[str], stdin: str, named: str
) -> None:
    populate(fake_wvp)
    before = edge_yaml.read_text("utf-8")
    result = gridwatch("cameras", "import-wvp", fake_wvp.url, *args, "--config", str(edge_yaml), stdin=stdin)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert edge_yaml.read_text("utf-8") == before


def test_a_missing_config_exits_2(fake_wvp: FakeWvp, tmp_path: Path) -> None:
    populate(fake_wvp)
    missing = tmp_path / "none.yaml"
    result = gridwatch("cameras", "import-wvp", fake_wvp.url, "--user", USER, "--password-stdin",
                       "--config", str(missing), stdin=PASSWORD)  # fmt: skip
    assert result.returncode == 2
    assert "not found" in result.stderr


def test_a_config_with_no_cameras_yet_gets_one_block_entry_per_camera(
    fake_wvp: FakeWvp, tmp_path: Path
) -> None:
    populate(fake_wvp, cameras=2)
    path = tmp_path / "edge.yaml"
    path.write_text(
        "device_id: edge-1\napi: {url: 'http://127.0.0.1:9', token: a-device-token}\ncameras: []\n"
    )
    assert len(run_import(fake_wvp, path).added) == 3
    text = path.read_text("utf-8")
    assert f'\n  - id: "{CAMERA}"\n    name: 东门口 1号枪机\n' in text
    assert len(load_edge_config(path).cameras) == 3


def test_an_unquoted_gb_id_is_quoted_again_on_import(fake_wvp: FakeWvp, edge_yaml: Path) -> None:
    populate(fake_wvp)
    run_import(fake_wvp, edge_yaml)
    edge_yaml.write_text(
        edge_yaml.read_text("utf-8").replace(f'- id: "{CAMERA}"', f"- id: {CAMERA}"), "utf-8"
    )
    assert run_import(fake_wvp, edge_yaml).updated == [CAMERA]
    assert f'- id: "{CAMERA}"' in edge_yaml.read_text("utf-8")
    assert load_edge_config(edge_yaml).cameras[2].id == CAMERA
