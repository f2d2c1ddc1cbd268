"""Where manifests and converted models live, and looking a model up by name.

Built-in manifests ship in `models/manifests/`. User manifests are read from the directory in
`$GRIDWATCH_MODELS_DIR` (default: the user's config dir, `gridwatch/models`). Converted models are
cached under `$GRIDWATCH_CACHE_DIR` (default: the user's cache dir, `gridwatch`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from platformdirs import user_cache_dir, user_config_dir

from models.errors import ManifestError, UnknownModelError
from models.manifest import ModelManifest, load_manifest

BUILTIN_DIR = Path(__file__).parent / "manifests"
DEFAULT_MODEL = "yolov3-tiny-coco"
CONVERTER_VERSION = "2"
"""Bump when the converter's output changes, so cached conversions are redone."""


def cache_root() -> Path:
    """Root of the model cache."""
    return Path(os.environ.get("GRIDWATCH_CACHE_DIR") or user_cache_dir("gridwatch")) / "models"


def user_manifest_dir() -> Path:
    """Directory scanned for the user's own manifests."""
    return Path(os.environ.get("GRIDWATCH_MODELS_DIR") or Path(user_config_dir("gridwatch")) / "models")


@dataclass(frozen=True)
class ModelEntry:
    """A known model: its manifest, where the manifest came from, and its cache paths."""

    manifest: ModelManifest
    manifest_path: Path

    @property
    def cache_dir(self) -> Path:
        """Directory holding this model's converted ONNX and its source files."""
        return cache_root() / self.manifest.name

    @property
    def onnx_path(self) -> Path:
        """The ONNX file the detector loads."""
        if self.manifest.source.type == "file":
            path = Path(self.manifest.source.path)
            return path if path.is_absolute() else self.manifest_path.parent / path
        return self.cache_dir / "model.onnx"

    @property
    def source_dir(self) -> Path:
        """Where fetched source files (cfg, weights, names) are kept."""
        return self.cache_dir / "source"

    @property
    def stamp_path(self) -> Path:
        """Record of what the cached conversion was made from."""
        return self.cache_dir / "converted.json"

    def expected_stamp(self) -> dict[str, str]:
        """What the stamp must say for the cache to be current."""
        digest = hashlib.sha256(self.manifest.model_dump_json().encode()).hexdigest()
        return {"manifest_sha256": digest, "converter": CONVERTER_VERSION}

    def is_cached(self) -> bool:
        """True when a usable ONNX file is present (and, for conversions, current)."""
        if not self.onnx_path.is_file():
            return False
        if self.manifest.conversion == "none":
            return True
        try:
            stamp = json.loads(self.stamp_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return bool(stamp == self.expected_stamp())


def known_models() -> dict[str, ModelEntry]:
    """All manifests, built-in first; a user manifest may not reuse a built-in name."""
    entries: dict[str, ModelEntry] = {}
    user_dir = user_manifest_dir()
    user_paths = sorted(user_dir.glob("*.yaml")) if user_dir.is_dir() else []
    for path in [*sorted(BUILTIN_DIR.glob("*.yaml")), *user_paths]:
        manifest = parsed_manifest(path)
        if manifest.name in entries:
            raise ManifestError(
                f"manifest {path} reuses the name {manifest.name!r} of {entries[manifest.name].manifest_path}"
            )
        entries[manifest.name] = ModelEntry(manifest, path)
    return entries


def find_model(name_or_path: str) -> ModelEntry:
    """Look a model up by name, or load a manifest given by path."""
    if name_or_path.endswith((".yaml", ".yml")):
        path = Path(name_or_path)
        return ModelEntry(parsed_manifest(path), path.resolve())
    models = known_models()
    try:
        return models[name_or_path]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name_or_path!r}; known models: {', '.join(sorted(models))}"
        ) from None


def parsed_manifest(path: Path) -> ModelManifest:
    """The manifest at `path`, parsed once for as long as the file is unchanged (every camera's
    detector looks its model up; the manifests are read and validated the first time only)."""
    try:
        stat = path.stat()
    except OSError:
        return load_manifest(path)  # names the missing file
    return _parsed(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=128)
def _parsed(path: Path, _mtime_ns: int, _size: int) -> ModelManifest:
    return load_manifest(path)
