"""Stationary vehicle: an object whose anchor stays within `max_movement_px` for `min_duration_s`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from edge.rules.base import TrackRule, TrackRuleConfig
from edge.rules.geometry import Name, Point
from gridwatch.contracts import AlertKind
from gridwatch.contracts.alert import Details


class VehicleStationaryConfig(TrackRuleConfig):
    """Config of a stationary-vehicle rule; without `zone` it watches the whole frame.

    Example:
        >>> VehicleStationaryConfig(id="no-parking", zone="fire-lane").classes
        ('vehicle',)
    """

    type: Literal["vehicle_stationary"] = Field(default="vehicle_stationary", description="Rule type")
    classes: tuple[str, ...] = Field(
        default=("vehicle",), min_length=1, description="Class names or groups it watches"
    )
    zone: Name | None = Field(default=None, description="Only objects in this zone; None: anywhere")
    max_movement_px: float = Field(
        default=20.0,
        gt=0,
        description="Largest anchor movement (px) from where it stopped that counts as still",
    )
    min_duration_s: float = Field(default=60.0, gt=0, description="Seconds standing still before a hit")

    def zone_refs(self) -> tuple[str, ...]:
        """The zone it watches, if any."""
        return () if self.zone is None else (self.zone,)


@dataclass
class _Standing:
    origin: Point
    since: float
    raised: bool = False


class VehicleStationaryRule(TrackRule[VehicleStationaryConfig, _Standing]):
    """One hit per object and episode once it has stood still for `min_duration_s`.

    "Still" is measured from the anchor where the object stopped: once it is more than
    `max_movement_px` away from it the episode ends and a new one starts there.
    """

    kind = AlertKind.VEHICLE_STATIONARY

    def _update(self, track_id: int, point: Point, inside: bool, t: float) -> Details | None:
        if not inside:
            self._tracks.drop(track_id)
            return None
        state = self._tracks.get(track_id)
        if state is None or math.dist(point, state.origin) > self.config.max_movement_px:
            state = _Standing(origin=point, since=t)
        self._tracks.put(track_id, state, t)
        still = t - state.since
        if state.raised or still < self.config.min_duration_s:
            return None
        state.raised = True
        return {"stationary_s": round(still, 3), "max_movement_px": self.config.max_movement_px}
