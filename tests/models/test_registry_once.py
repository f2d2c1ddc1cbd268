"""The registry parses each manifest once while the file is unchanged, and again when it changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from models.errors import ManifestError
from models.registry import BUILTIN_DIR, find_model, parsed_manifest


def test_a_manifest_is_parsed_once_and_again_after_it_changed(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    shutil.copyfile(BUILTIN_DIR / "yolov3-tiny-coco.yaml", path)
    first = parsed_manifest(path)
    assert parsed_manifest(path) is first
    assert find_model(str(path)).manifest is first
    text = path.read_text(encoding="utf-8").replace("name: yolov3-tiny-coco", "name: renamed-copy")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert parsed_manifest(path).name == "renamed-copy"


def test_a_missing_manifest_is_still_named() -> None:
    with pytest.raises(ManifestError, match=r"nowhere\.yaml"):
        parsed_manifest(Path("/nowhere.yaml"))
