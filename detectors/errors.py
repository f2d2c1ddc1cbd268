"""Errors raised by the detector runtime."""

from models.errors import ModelError


class DetectorError(Exception):
    """Base class for detector runtime problems."""


class ModelLoadError(DetectorError, ModelError):
    """An ONNX file does not fit its manifest (inputs, outputs, family) or cannot be opened."""
