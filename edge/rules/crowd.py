"""Crowd: at least `min_count` objects of the watched classes in a zone for `min_duration_s`.

The count is a presence count (`edge.rules.presence`): confirmed tracks last seen inside the zone
within `grace_s`, so a person the detector misses for a frame still counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import supervision as sv
from pydantic import Field

from edge.rules.base import Rule, Shapes, candidates, pick
from edge.rules.geometry import Name, anchor_points
from edge.rules.hit import RuleHit
from edge.rules.presence import CountRuleConfig, Presence
from edge.rules.tracks import Cooldown
from gridwatch.contracts import AlertKind
from gridwatch.contracts.alert import Details


class CrowdConfig(CountRuleConfig):
    """Config of a crowd rule.

    Example:
        >>> CrowdConfig(id="square", zone="plaza", min_count=10, min_duration_s=30).clear_after_s
        3.0
    """

    type: Literal["crowd"] = Field(default="crowd", description="Rule type")
    zone: Name = Field(description="Name of the zone whose objects are counted")
    min_count: int = Field(default=5, ge=1, description="Objects in the zone that make a crowd")
    min_duration_s: float = Field(default=10.0, ge=0, description="Seconds the crowd must last before a hit")
    clear_after_s: float = Field(
        default=3.0, ge=0, description="Seconds the count must stay below min_count to end the episode"
    )

    def zone_refs(self) -> tuple[str, ...]:
        """The zone it counts in."""
        return (self.zone,)


@dataclass
class _Episode:
    since: float
    below_since: float | None = None
    raised: bool = False


class CrowdRule(Rule[CrowdConfig]):
    """One hit per episode of the zone holding at least `min_count` confirmed tracks.

    The count at each frame is the presence count over `grace_s` (see `edge.rules.presence`). An
    episode starts at the first frame with enough objects and ends once the count has stayed
    below `min_count` for `clear_after_s`; shorter dips neither end it nor restart its clock. The
    cooldown is per zone. The hit's boxes are the counted objects visible in that frame.
    """

    kind = AlertKind.CROWD

    def __init__(self, config: CrowdConfig, shapes: Shapes) -> None:
        super().__init__(config, shapes)
        self._zone = shapes.zone(config.zone)
        self._episode: _Episode | None = None
        self._cooldown: Cooldown[str] = Cooldown(self.config.cooldown_s)
        self._presence = Presence(self.config.grace_s)

    def evaluate(self, detections: sv.Detections, t: float, frame_index: int) -> list[RuleHit]:
        """Count the watched objects in the zone; a hit when a crowd has lasted long enough."""
        tracked = candidates(detections, self.config.classes)
        inside = np.zeros(len(detections), dtype=np.bool_)
        inside[tracked] = self._zone.contains(anchor_points(detections, self.config.anchor)[tracked])
        track_ids = [] if detections.tracker_id is None else detections.tracker_id.tolist()
        seen = {int(track_ids[k]): bool(inside[k]) for k in np.flatnonzero(tracked)}
        count = self._presence.update(seen, t)
        self._cooldown.prune(t)
        if count < self.config.min_count:
            self._below(t)
            return []
        duration = self._above(t)
        if duration is None:
            return []
        details: Details = {"zone": self.config.zone, "count": count, "duration_s": round(duration, 3)}
        return [self._hit(pick(detections, inside), t, frame_index, details)]

    def _above(self, t: float) -> float | None:
        """The count is at least min_count at `t`: the crowd's duration if this raises the episode."""
        episode = self._episode = self._episode or _Episode(since=t)
        episode.below_since = None
        if episode.raised or t - episode.since < self.config.min_duration_s:
            return None
        episode.raised = True
        if not self._cooldown.ready(self.config.zone, t):
            return None
        self._cooldown.mark(self.config.zone, t)
        return t - episode.since

    def _below(self, t: float) -> None:
        """The count is below min_count at `t`: end the episode once that has lasted clear_after_s."""
        if self._episode is None:
            return
        if self._episode.below_since is None:
            self._episode.below_since = t
        if t - self._episode.below_since >= self.config.clear_after_s:
            self._episode = None

    def reset(self) -> None:
        """Forget the episode and the cooldown."""
        self._episode = None
        self._cooldown.clear()
        self._presence.clear()

    @property
    def state_size(self) -> int:
        """1 while an episode is open, 1 while the zone's cooldown runs, and the objects counted now."""
        return int(self._episode is not None) + len(self._cooldown) + len(self._presence)
