"""Check that an ONNX file fits its manifest and runs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

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


def verify_onnx(entry: ModelEntry, *, path: Path | None = None) -> None:
    """Open the model with onnxruntime through the detector and run it on a grey frame.

    Raises `detectors.ModelLoadError` naming the problem when inputs or outputs do not fit.
    """
    from detectors import Detector, DetectorConfig  # detectors depends on models, not the reverse

    detector = Detector(entry, DetectorConfig(model=entry.manifest.name), onnx_path=path)
    frame = np.full((entry.manifest.input.height, entry.manifest.input.width, 3), 127, np.uint8)
    detector.detect(frame)
