"""Settings of a camera's object filters, per class or group (`edge.filters.ObjectFilters`)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from edge.rules.geometry import Point, ZoneConfig
from gridwatch.strict import Strict


class ObjectFilter(Strict):
    """What a detection of one class (or group) must look like on this camera."""

    min_area: float | None = Field(default=None, ge=0, description="Least box area, pixels")
    max_area: float | None = Field(default=None, gt=0, description="Largest box area, pixels")
    min_ratio: float | None = Field(default=None, gt=0, description="Least box width / height")
    max_ratio: float | None = Field(default=None, gt=0, description="Largest box width / height")
    min_score: float | None = Field(
        default=None, gt=0, le=1, description="Score this class needs on this camera (raises its threshold)"
    )
    masks: list[list[Point]] = Field(
        default_factory=list,
        description="Polygons (x, y pixels) where this class is ignored, by the bottom centre of its box",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for low, high in (("min_area", "max_area"), ("min_ratio", "max_ratio")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} {lo} is above {high} {hi}")
        for k, points in enumerate(self.masks):
            ZoneConfig(name=f"mask-{k}", points=points)  # the same polygon checks as zones
        return self
