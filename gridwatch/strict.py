"""`Strict`: the base of every GridWatch config and message model (unknown keys refused, immutable)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A pydantic model that refuses unknown fields and cannot be changed once built.

    Example:
        >>> class Point(Strict):
        ...     x: float
        >>> Point(x=1, y=2)  # ValidationError: y: Extra inputs are not permitted
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
