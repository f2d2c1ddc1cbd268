"""Check that an ONNX file fits its manifest and runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.registry import ModelEntry


def verify_onnx(entry: ModelEntry, *, path: Path | None = None) -> None:
    """Open the model with onnxruntime through the detector and run it on a grey frame.

    Raises `detectors.ModelLoadError` naming the problem when inputs or outputs do not fit.
    """
    from detectors import Detector, DetectorConfig  # detectors depends on models, not the reverse

    detector = Detector(entry, DetectorConfig(model=entry.manifest.name), onnx_path=path)
    frame = np.full((entry.manifest.input.height, entry.manifest.input.width, 3), 127, np.uint8)
    detector.detect(frame)
