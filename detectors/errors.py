"""Errors raised by the detector runtime."""


class DetectorError(Exception):
    """Base class for detector runtime problems."""


class ModelLoadError(DetectorError):
    """An ONNX file does not fit its manifest (inputs, outputs, family) or cannot be opened."""
