"""Check that an ONNX model fits its manifest and runs: the detector opens it and runs one frame.

Model acquisition (`models.pull`, `models.ultralytics_import`) calls this before it caches a model;
it sits above the detector runtime in the package order (see the README's layout).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detectors.config import DetectorConfig
from detectors.detector import Detector
from detectors.errors import DetectorError
from models.errors import VerificationError
from models.registry import ModelEntry


def verify_onnx(entry: ModelEntry, *, path: Path | None = None) -> None:
    """Open the model with onnxruntime through the detector and run it on a grey frame.

    Raises `models.errors.VerificationError` (a `ModelError`, what acquisition raises) naming the
    problem when the detector cannot open the model or its inputs or outputs do not fit.
    """
    try:
        detector = Detector(entry, DetectorConfig(model=entry.manifest.name), onnx_path=path)
        frame = np.full((entry.manifest.input.height, entry.manifest.input.width, 3), 127, np.uint8)
        detector.detect(frame)
    except DetectorError as exc:
        raise VerificationError(str(exc)) from exc
