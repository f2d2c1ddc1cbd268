"""Settings of a camera's motion regions (`edge.regions.MotionRegions`)."""

from __future__ import annotations

from pydantic import Field

from gridwatch.strict import Strict


class RegionsConfig(Strict):
    """Per-camera motion regions (crops of moving areas detected at native resolution).

    Example:
        >>> RegionsConfig(enabled=True, max_regions=2).min_size is None
        True
    """

    enabled: bool = Field(default=False, description="Also detect in crops around motion (costs CPU)")
    max_regions: int = Field(default=2, ge=1, le=8, description="Most crops per frame (one batched run)")
    min_size: int | None = Field(
        default=None, ge=64, le=4096, description="Least side of a crop in pixels; None: the model input size"
    )
    motion_width: int = Field(default=320, ge=64, le=1280, description="Width of the grey image compared")
    pixel_threshold: int = Field(default=25, ge=1, le=255, description="Grey-level change that counts")
    min_blob: float = Field(
        default=0.0003, gt=0, lt=1, description="Least area of a moving blob, as a fraction of the frame"
    )
    background_alpha: float = Field(
        default=0.2, gt=0, le=1, description="How fast the background follows the picture (per frame)"
    )
