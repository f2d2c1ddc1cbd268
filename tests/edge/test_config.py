"""The edge YAML: the example loads, and every kind of mistake is refused with a message naming it."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.config import ApiConfig, BoxConfig, EdgeConfig, EdgeConfigError, load_edge_config, resolved
from edge.worker import EdgeWorker
from ingest.backoff import BackoffConfig
from ingest.config import is_stream_url
from tests.support.models import CAR_CLIP, default_model

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "configs" / "edge.example.yaml"

Raw = dict[str, Any]


def valid_config() -> Raw:
    """A small valid edge config: one file camera with a zone, a line and two rules."""
    return {
        "device_id": "edge-test",
        "api": {"url": "http://127.0.0.1:9", "token": "a-device-token"},
        "cameras": [
            {
                "id": "cam-1",
                "url": "clip.mp4",
                "location": {"lon": 118.702, "lat": 32.002},
                "rules": {
                    "zones": [{"name": "yard", "points": [[0, 0], [100, 0], [100, 100], [0, 100]]}],
                    "lines": [{"name": "gate", "start": [50, 0], "end": [50, 100]}],
                    "rules": [
                        {"type": "intrusion", "id": "yard-intrusion", "zone": "yard"},
                        {"type": "line_crossing", "id": "gate-crossing", "line": "gate"},
                    ],
                },
            }
        ],
    }


def write(tmp_path: Path, raw: object) -> Path:
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def camera(raw: Raw, k: int = 0) -> Raw:
    cameras: list[Raw] = raw["cameras"]
    return cameras[k]


def second_camera(raw: Raw) -> None:
    raw["cameras"].append({**copy.deepcopy(camera(raw)), "id": "cam-2"})


def test_the_example_loads_and_its_clips_exist() -> None:
    config = load_edge_config(EXAMPLE)
    assert [c.id for c in config.cameras] == ["cam-room", "cam-lot"]
    for cam in config.cameras:
        assert cam.url is not None
        assert not is_stream_url(cam.url)
        assert Path(cam.url).is_absolute(), cam.url
        assert Path(cam.url).is_file(), f"{cam.id}: {cam.url} does not exist"
    assert config.data_dir == EXAMPLE.parent / "../gridwatch-edge"


def test_a_valid_config_resolves_relative_paths_against_its_folder(tmp_path: Path) -> None:
    raw = valid_config()
    second_camera(raw)
    camera(raw, 1)["url"] = "rtsp://127.0.0.1:8554/cam"
    config = load_edge_config(write(tmp_path, raw))
    assert isinstance(config, EdgeConfig)
    assert config.cameras[0].url == str(tmp_path / "clip.mp4")
    assert config.cameras[1].url == "rtsp://127.0.0.1:8554/cam"  # streams are left alone
    assert config.data_dir == tmp_path / "gridwatch-edge"


def add(key: str, where: Callable[[Raw], Raw] = lambda raw: raw) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        where(raw)[key] = 1

    return change


def set_at(value: object, where: Callable[[Raw], Raw], key: str) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        where(raw)[key] = value

    return change


def zone(raw: Raw) -> Raw:
    zones: list[Raw] = camera(raw)["rules"]["zones"]
    return zones[0]


BOWTIE = [[0, 0], [100, 100], [100, 0], [0, 100]]


def rule(raw: Raw) -> Raw:
    rules: list[Raw] = camera(raw)["rules"]["rules"]
    return rules[0]


def duplicate_camera(raw: Raw) -> None:
    raw["cameras"].append(copy.deepcopy(camera(raw)))


def live_camera_with_a_start_point(raw: Raw) -> None:
    camera(raw).update(url="rtsp://127.0.0.1:8554/cam", start_s=5)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (add("colour"), ["colour", "Extra inputs"]),
        (add("zoom", camera), ["cameras.0.zoom", "Extra inputs"]),
        (add("speed", rule), ["yard-intrusion", "speed", "Extra inputs"]),
        (add("shape", zone), ["zone", "shape", "Extra inputs"]),
        (add("sensitivity", lambda raw: camera(raw).setdefault("motion", {})), ["motion.sensitivity"]),
        (set_at([[0, 0], [10, 10]], zone, "points"), ["zone 'yard'", "at least 3 points"]),
        (set_at(BOWTIE, zone, "points"), ["zone 'yard'", "Self-intersection"]),
        (set_at("garden", rule, "zone"), ["yard-intrusion", "unknown zone 'garden'"]),
        (set_at("teleport", rule, "type"), ["yard-intrusion", "type 'teleport'"]),
        (duplicate_camera, ["camera ids must be unique", "cam-1"]),
        (set_at(181, lambda raw: camera(raw)["location"], "lon"), ["cameras.0.location.lon", "181"]),
        (set_at(-90.5, lambda raw: camera(raw)["location"], "lat"), ["cameras.0.location.lat", "-90.5"]),
        (set_at("short", lambda raw: raw["api"], "token"), ["api.token"]),
        (set_at([], lambda raw: raw, "cameras"), ["cameras"]),
        (set_at("cam 1", camera, "id"), ["cameras.0.id", "cam 1"]),
        (set_at({"lost_track_s": 0}, camera, "tracker"), ["cameras.0.tracker.lost_track_s"]),
        (set_at({"low_ratio": 1.5}, camera, "tracker"), ["cameras.0.tracker.low_ratio", "1.5"]),
        (set_at({"person": {"min_aera": 5}}, camera, "filters"), ["cameras.0.filters.person.min_aera"]),
        (set_at({"person": {"masks": [BOWTIE]}}, camera, "filters"), ["filters.person", "invalid polygon"]),
        (set_at({"enabled": True, "max_regions": 0}, camera, "regions"), ["cameras.0.regions.max_regions"]),
        (set_at({"input_size": 16}, camera, "detector"), ["cameras.0.detector.input_size", "16"]),
        (live_camera_with_a_start_point, ["cam-1", "start_s applies to video files"]),
    ],
    ids=[
        "unknown top-level key", "unknown camera key", "unknown rule key", "unknown zone key",
        "unknown motion key", "two-point polygon", "self-intersecting polygon", "unknown zone in a rule",
        "unknown rule type", "duplicate camera ids", "longitude out of range", "latitude out of range",
        "short token", "no cameras", "camera id with a space", "lost track time 0", "low ratio above 1",
        "unknown filter key", "self-intersecting mask", "no regions", "tiny input size",
        "start point of a live camera",
    ],
)  # fmt: skip
def test_mistakes_are_refused_naming_them(
    tmp_path: Path, change: Callable[[Raw], None], named: list[str]
) -> None:
    raw = valid_config()
    change(raw)
    path = write(tmp_path, raw)
    with pytest.raises(EdgeConfigError) as caught:
        load_edge_config(path)
    message = str(caught.value)
    assert str(path) in message
    for part in named:
        assert part in message, f"{part!r} not in {message!r}"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"device_id: [unclosed\n", "not valid YAML"),
        (b"\xff\xfe\x00binary, not text", "not UTF-8 text"),
        (b"- just\n- a list\n", "must be a mapping"),
        (b"", "must be a mapping"),
        (b"just a string", "must be a mapping"),
    ],
    ids=["broken YAML", "not UTF-8", "a list", "empty file", "a scalar"],
)
def test_files_that_are_not_a_config_are_refused_naming_them(
    tmp_path: Path, content: bytes, named: str
) -> None:
    path = tmp_path / "edge.yaml"
    path.write_bytes(content)
    with pytest.raises(EdgeConfigError, match=named) as caught:
        load_edge_config(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("name", ["missing.yaml", "a-folder"])
def test_an_unreadable_file_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    (tmp_path / "a-folder").mkdir()
    path = tmp_path / name
    with pytest.raises(EdgeConfigError, match="cannot read edge config") as caught:
        load_edge_config(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("url", "stream"),
    [("rtsp://cam/1", True), ("http://cam/1.mjpg", True), ("clip.mp4", False), ("/abs/clip.mp4", False),
     ("C:/clips/a.mp4", False)],
)  # fmt: skip
def test_is_stream(url: str, stream: bool) -> None:
    assert is_stream_url(url) is stream


def test_a_secret_in_a_camera_url_comes_from_the_boxs_environment(tmp_path: Path) -> None:
    raw = valid_config()
    raw["cameras"][0]["url"] = "rtsp://admin:${GW_TEST_CAM_PASSWORD}@127.0.0.1:8554/cam"
    config = EdgeConfig.model_validate(raw)
    found = resolved(config, tmp_path, {"GW_TEST_CAM_PASSWORD": "s3cret"})
    assert found.cameras[0].url == "rtsp://admin:s3cret@127.0.0.1:8554/cam"
    with pytest.raises(EdgeConfigError, match=r"camera cam-1: .*GW_TEST_CAM_PASSWORD, not set on this box"):
        resolved(config, tmp_path, {})
    path = write(tmp_path, raw)
    with pytest.raises(EdgeConfigError, match="GW_TEST_CAM_PASSWORD"):
        load_edge_config(path)


def test_the_box_settings_are_not_part_of_a_centre_document() -> None:
    raw = valid_config()
    with pytest.raises(ValueError, match="device_id, api: the box's own settings"):
        BoxConfig.model_validate(raw)
    del raw["device_id"], raw["api"]
    assert [camera.id for camera in BoxConfig.model_validate(raw).cameras] == ["cam-1"]


def test_a_cameras_source_settings_from_yaml_reach_its_running_source(tmp_path: Path) -> None:
    """queue_size and backoff (and the other source settings) are written at the camera's level."""
    default_model()
    raw = valid_config()
    camera(raw).update(
        url=str(CAR_CLIP), detect_fps=2, queue_size=9, backoff={"initial_s": 0.25, "max_s": 4, "jitter": 0}
    )
    raw["data_dir"] = str(tmp_path / "edge")
    raw["http"] = {"port": 0}
    worker = EdgeWorker(load_edge_config(write(tmp_path, raw)))
    try:
        source = worker.sources["cam-1"].config
        assert (source.queue_size, source.detect_fps) == (9, 2)
        assert source.backoff == BackoffConfig(initial_s=0.25, max_s=4, jitter=0)
    finally:
        worker.outbox.close()


def test_source_settings_dump_where_they_were_written() -> None:
    raw = valid_config()
    camera(raw).update(queue_size=3, backoff={"max_s": 9})
    config = EdgeConfig.model_validate(raw)
    dumped = config.model_dump(mode="json")["cameras"][0]
    assert (dumped["queue_size"], dumped["backoff"]["max_s"], "source" in dumped) == (3, 9, False)
    assert EdgeConfig.model_validate(config.model_dump(mode="json")) == config


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"queue_size": 0}, "cameras.0.queue_size"),
        ({"backoff": {"initial_s": 5, "max_s": 1}}, "cameras.0.backoff"),
        ({"detect_fps": 100}, "cameras.0.detect_fps"),
    ],
    ids=["queue size 0", "backoff cap below its start", "detect_fps above 60"],
)
def test_source_settings_errors_name_them_where_they_were_written(
    tmp_path: Path, settings: Raw, named: str
) -> None:
    raw = valid_config()
    camera(raw).update(settings)
    with pytest.raises(EdgeConfigError, match=re.escape(named)):
        load_edge_config(write(tmp_path, raw))


def test_the_older_flat_spelling_of_the_api_backoffs_still_reads() -> None:
    api = {"url": "http://127.0.0.1:9", "token": "a-device-token"}
    old = ApiConfig.model_validate({**api, "backoff_initial_s": 0.1, "backoff_max_s": 2})
    assert (old.backoff, old.alert_backoff) == (
        BackoffConfig(initial_s=0.1, max_s=2),
        BackoffConfig(initial_s=0.1, max_s=300),
    )
    assert ApiConfig.model_validate({**api, "alert_backoff_max_s": 60}).alert_backoff.max_s == 60
    assert ApiConfig.model_validate(api) == ApiConfig.model_validate({**api, "backoff": {}})
