"""Loitering: one object of the watched classes inside a zone for longer than `min_duration_s`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from edge.rules.base import TrackRule, TrackRuleConfig
from edge.rules.geometry import Name, Point
from gridwatch.contracts import AlertKind
from gridwatch.contracts.alert import Details


class LoiteringConfig(TrackRuleConfig):
    """Config of a loitering rule.

    Example:
        >>> LoiteringConfig(id="atm", zone="atm-front", min_duration_s=60).min_duration_s
        60.0
    """

    type: Literal["loitering"] = Field(default="loitering", description="Rule type")
    zone: Name = Field(description="Name of the zone where lingering is reported")
    min_duration_s: float = Field(default=30.0, gt=0, description="Seconds inside the zone before a hit")

    def zone_refs(self) -> tuple[str, ...]:
        """The zone it watches."""
        return (self.zone,)


@dataclass
class _Dwell:
    entered: float
    raised: bool = False


class LoiteringRule(TrackRule[LoiteringConfig, _Dwell]):
    """One hit per object and episode once it has stayed in the zone for `min_duration_s`.

    The dwell time runs from the first frame the object is seen inside; leaving the zone ends it.
    """

    kind = AlertKind.LOITERING

    def _update(self, track_id: int, point: Point, inside: bool, t: float) -> Details | None:
        if not inside:
            self._tracks.drop(track_id)
            return None
        state = self._tracks.get(track_id) or _Dwell(entered=t)
        self._tracks.put(track_id, state, t)
        dwell = t - state.entered
        if state.raised or dwell < self.config.min_duration_s:
            return None
        state.raised = True
        return {"zone": self.config.zone, "dwell_s": round(dwell, 3)}
