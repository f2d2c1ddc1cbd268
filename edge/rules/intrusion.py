"""Intrusion: an object of the watched classes inside a zone for `min_frames` consecutive frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from edge.rules.base import TrackRule, TrackRuleConfig
from edge.rules.geometry import Name, Point
from gridwatch.contracts import AlertKind
from gridwatch.contracts.alert import Details


class IntrusionConfig(TrackRuleConfig):
    """Config of an intrusion rule.

    Example:
        >>> IntrusionConfig(id="door", zone="entrance", min_frames=3).classes
        ('person',)
    """

    type: Literal["intrusion"] = Field(default="intrusion", description="Rule type")
    zone: Name = Field(description="Name of the zone that must not be entered")
    min_frames: int = Field(
        default=3, ge=1, description="Consecutive processed frames inside before the object counts as in"
    )

    def zone_refs(self) -> tuple[str, ...]:
        """The zone it watches."""
        return (self.zone,)


@dataclass
class _Inside:
    frames: int = 0
    raised: bool = False


class IntrusionRule(TrackRule[IntrusionConfig, _Inside]):
    """One hit per object and episode once it has been inside the zone for `min_frames` frames."""

    kind = AlertKind.INTRUSION

    def _update(self, track_id: int, point: Point, inside: bool, t: float) -> Details | None:
        if not inside:
            self._tracks.drop(track_id)
            return None
        state = self._tracks.get(track_id) or _Inside()
        state.frames += 1
        self._tracks.put(track_id, state, t)
        if state.raised or state.frames < self.config.min_frames:
            return None
        state.raised = True
        return {"zone": self.config.zone, "frames_inside": state.frames}
