"""Exceptions raised by ``ingest``: one base class, a few specific ones."""

from __future__ import annotations


class IngestError(Exception):
    """Base class of every error raised by the ingest package."""


class SourceError(IngestError):
    """A video source cannot be opened or read; the message names the path or URL."""


class FrameTimeoutError(SourceError):
    """No frame arrived within the time the caller was ready to wait."""


class EndOfStreamError(SourceError):
    """The source has no more frames: a file was read to its end, or the source was closed."""
