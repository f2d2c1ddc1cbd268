"""Manifests are validated where they are read; errors name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from models.errors import ManifestError, UnknownModelError
from models.manifest import Family, load_manifest
from models.registry import BUILTIN_DIR, DEFAULT_MODEL, find_model, known_models


def user_manifest(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "my-model",
        "version": "1",
        "family": "yolov8",
        "licence": "MIT",
        "source": {"type": "file", "path": "my.onnx"},
        "conversion": "none",
        "input": {"width": 640, "height": 640},
        "classes": ["person", "car"],
    }
    base.update(overrides)
    return base


def write(path: Path, content: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


def test_builtin_default_manifest_is_valid_and_records_the_mask() -> None:
    manifest = load_manifest(BUILTIN_DIR / f"{DEFAULT_MODEL}.yaml")
    assert manifest.family is Family.DARKNET_YOLO
    assert len(manifest.classes) == 80
    assert manifest.darknet is not None
    assert [head.mask for head in manifest.darknet.heads] == [[3, 4, 5], [1, 2, 3]]
    assert "0,1,2" in manifest.darknet.mask_note


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"family": "yolov9000"}, "family"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"classes": ["a", "a"]}, "class names must be unique"),
        ({"classes": []}, "classes: List should have at least 1 item"),
        ({"input": {"width": 0, "height": 640}}, "input.width"),
        ({"family": "darknet_yolo"}, "needs a `darknet:` section"),
        ({"darknet": {"anchors": [[1, 2]], "heads": [{"mask": [0]}]}}, "does not apply to family yolov8"),
        ({"conversion": "darknet"}, "conversion darknet needs a pypi_sdist source"),
        ({"source": {"type": "file", "path": "m.onnx", "sha256": "xyz"}}, "source.file.sha256"),
        ({"name": "Bad Name"}, "name"),
    ],
)
def test_wrong_manifest_is_refused_naming_the_field(
    tmp_path: Path, overrides: dict[str, Any], problem: str
) -> None:
    path = write(tmp_path / "m.yaml", user_manifest(**overrides))
    with pytest.raises(ManifestError, match=problem) as info:
        load_manifest(path)
    assert str(path) in str(info.value)


def test_darknet_mask_out_of_range_is_refused(tmp_path: Path) -> None:
    darknet = {"anchors": [[1, 2], [3, 4]], "heads": [{"mask": [0, 5]}]}
    path = write(tmp_path / "m.yaml", user_manifest(family="darknet_yolo", darknet=darknet))
    with pytest.raises(ManifestError, match=r"mask \[0, 5\] refers to anchors \[5\], have 2"):
        load_manifest(path)


def test_not_yaml_and_not_a_mapping_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ManifestError, match="not valid YAML"):
        load_manifest(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="must be a mapping, got list"):
        load_manifest(listing)


def test_user_manifests_join_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWATCH_MODELS_DIR", str(tmp_path))
    write(tmp_path / "mine.yaml", user_manifest())
    entry = find_model("my-model")
    assert entry.onnx_path == tmp_path / "my.onnx"
    assert not entry.is_cached()
    (tmp_path / "my.onnx").write_bytes(b"onnx")
    assert entry.is_cached()
    assert set(known_models()) == {DEFAULT_MODEL, "my-model"}


def test_user_manifest_may_not_reuse_a_builtin_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWATCH_MODELS_DIR", str(tmp_path))
    write(tmp_path / "clash.yaml", user_manifest(name=DEFAULT_MODEL))
    with pytest.raises(ManifestError, match=f"reuses the name '{DEFAULT_MODEL}'"):
        known_models()


def test_unknown_model_lists_the_known_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWATCH_MODELS_DIR", str(tmp_path))
    with pytest.raises(UnknownModelError, match=f"unknown model 'nope'; known models: {DEFAULT_MODEL}"):
        find_model("nope")
