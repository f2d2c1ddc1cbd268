"""Detectors: ONNX models on frames, returning `supervision.Detections`."""

from detectors.config import DetectorConfig
from detectors.detector import Detector
from detectors.errors import DetectorError, ModelLoadError

__all__ = ["Detector", "DetectorConfig", "DetectorError", "ModelLoadError"]
