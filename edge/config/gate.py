"""Settings of a camera's motion gate (`edge.gate.MotionGate`)."""

from __future__ import annotations

from pydantic import Field

from gridwatch.strict import Strict


class GateConfig(Strict):
    """Per-camera motion gate settings.

    Example:
        >>> GateConfig(enabled=True, pixel_threshold=25, min_changed=0.002)
    """

    enabled: bool = Field(default=True, description="Off: every frame goes to the detector")
    width: int = Field(default=160, ge=32, le=640, description="Width of the grey image compared, pixels")
    pixel_threshold: int = Field(default=25, ge=1, le=255, description="Grey-level change that counts")
    min_changed: float = Field(
        default=0.002, gt=0, lt=1, description="Fraction of changed pixels that wakes the detector"
    )
    max_skip_s: float = Field(default=5.0, gt=0, description="Run the detector at least this often, seconds")
    ignore_inside_boxes: bool = Field(
        default=True,
        description="Change inside boxes of objects that stood still between the last two detector runs "
        "does not count",
    )
