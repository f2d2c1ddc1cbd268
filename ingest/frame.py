"""The frame message that a video source hands to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded video frame with where it sits in the stream and when it was captured.

    Example:
        >>> frame = Frame(source_id="gate-1", index=12, pts=1.2, captured_at=now, image=bgr)
        >>> frame.image.shape  # (height, width, 3), BGR, uint8
    """

    source_id: str
    """Id of the source (camera) this frame came from."""
    index: int
    """Position of the frame among all frames the source has read (skipped ones included), from 0.
    It keeps counting across reconnects."""
    pts: float
    """Presentation time in seconds, from the stream's own clock. A live stream's clock may restart
    after a reconnect; a file's starts at 0."""
    captured_at: datetime
    """Wall-clock time (UTC, timezone-aware) at which the frame was read from the source."""
    image: Image
    """The picture: ``(height, width, 3)`` uint8 in BGR order."""

    @property
    def height(self) -> int:
        """Image height in pixels."""
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        """Image width in pixels."""
        return int(self.image.shape[1])
