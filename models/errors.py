"""Errors raised while describing, fetching, converting or loading models."""


class ModelError(Exception):
    """Base class for model problems; the message names what was wrong."""


class ManifestError(ModelError):
    """A manifest file is missing, malformed or inconsistent."""


class UnknownModelError(ModelError):
    """No manifest has the requested name."""


class FetchError(ModelError):
    """The model source could not be fetched or failed its checksum."""


class ConversionError(ModelError):
    """A source model could not be converted to ONNX."""


class VerificationError(ModelError):
    """A model does not run as its manifest says (`detectors.verify` ran it through the detector)."""
