"""Check that a user's ONNX file is the one its manifest names (running it is `detectors.verify`)."""

from __future__ import annotations

import hashlib

from models.errors import ManifestError
from models.registry import ModelEntry


def check_file_digest(entry: ModelEntry) -> None:
    """For a user's ONNX file with a sha256 in its manifest: refuse a file that does not match."""
    source = entry.manifest.source
    if source.type != "file" or source.sha256 is None or not entry.onnx_path.is_file():
        return
    digest = hashlib.sha256(entry.onnx_path.read_bytes()).hexdigest()
    if digest != source.sha256:
        raise ManifestError(
            f"model {entry.manifest.name}: {entry.onnx_path} has sha256 {digest}, the manifest "
            f"{entry.manifest_path} says {source.sha256}"
        )
