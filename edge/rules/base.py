"""The rule interface, the config fields every rule shares, and the per-object rule skeleton.

Episodes and cooldowns (all rules): a rule reports its condition once per episode, at the frame
where the condition is first met. After a hit for an object (crowd: for its zone) no hit for the
same object is reported before `cooldown_s` has passed, even when a new episode starts in between;
an episode whose condition is met inside the cooldown stays silent to its end. Per-object episodes
end when the object leaves the zone or its track has not been seen for more than `lost_after_s`;
its state is forgotten then. A frame in which a track is missing neither ends nor advances it.
With `id_switch_radius_px` set, a new track id appearing where a reported track just vanished
inherits that track's cooldown (a tracker id switch is not a new object).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

import numpy as np
import supervision as sv
from numpy.typing import NDArray
from pydantic import Field, field_validator

from edge.rules.errors import RulesError
from edge.rules.geometry import Anchor, Line, Name, Point, Zone, anchor_points
from edge.rules.handover import IdSwitchGuard
from edge.rules.hit import RuleHit
from edge.rules.tracks import Cooldown, TrackStates
from gridwatch.contracts import AlertKind, Severity
from gridwatch.contracts.alert import Details
from gridwatch.strict import Strict

S = TypeVar("S")
C = TypeVar("C", bound="RuleConfigBase")
T = TypeVar("T", bound="TrackRuleConfig")
logger = logging.getLogger(__name__)


class RuleConfigBase(Strict):
    """Fields every rule has. Subclasses add `type` (a literal) and their own fields."""

    id: Name = Field(description="Unique rule name within the camera; alerts carry it")
    enabled: bool = Field(default=True, description="A disabled rule is validated but not run")
    severity: Severity = Field(default=Severity.MEDIUM, description="Severity of the alerts it raises")
    classes: tuple[str, ...] = Field(
        default=("person",), min_length=1, description="Class names or class groups (e.g. vehicle) it watches"
    )
    anchor: Anchor = Field(
        default=Anchor.BOTTOM_CENTER, description="Point of the box that locates the object"
    )
    cooldown_s: float = Field(
        default=30.0,
        ge=0,
        description="After a hit for an object (crowd: the zone), seconds without a new one",
    )

    @field_validator("classes")
    @classmethod
    def _non_empty_names(cls, classes: tuple[str, ...]) -> tuple[str, ...]:
        if any(not name.strip() for name in classes):
            raise ValueError(f"classes {list(classes)} contains an empty name")
        return classes

    def zone_refs(self) -> tuple[str, ...]:
        """Names of the zones this rule refers to."""
        return ()

    def line_refs(self) -> tuple[str, ...]:
        """Names of the lines this rule refers to."""
        return ()


class TrackRuleConfig(RuleConfigBase):
    """Fields of rules that follow single objects by their track id."""

    lost_after_s: float = Field(
        default=2.0, gt=0, description="A track unseen for longer ends its episode and is forgotten"
    )
    id_switch_radius_px: float | None = Field(
        default=None,
        gt=0,
        description="If set: a new track id whose anchor is this close to where a reported track vanished "
        "(at most lost_after_s ago) is taken as that object under a new id and shares its cooldown",
    )


@dataclass(frozen=True)
class Shapes:
    """The zones and lines of one camera, by name."""

    zones: dict[str, Zone] = field(default_factory=dict)
    lines: dict[str, Line] = field(default_factory=dict)

    def zone(self, name: str) -> Zone:
        """The zone called `name`; RulesError naming it when there is none."""
        if name not in self.zones:
            raise RulesError(f"unknown zone {name!r}; known zones: {sorted(self.zones)}")
        return self.zones[name]

    def line(self, name: str) -> Line:
        """The line called `name`; RulesError naming it when there is none."""
        if name not in self.lines:
            raise RulesError(f"unknown line {name!r}; known lines: {sorted(self.lines)}")
        return self.lines[name]


def candidates(detections: sv.Detections, classes: tuple[str, ...]) -> NDArray[np.bool_]:
    """Detections of `classes` (by class name or group) with a confirmed track id (not -1)."""
    if detections.tracker_id is None:
        return np.zeros(len(detections), dtype=bool)
    return (detections.tracker_id >= 0) & class_mask(detections, classes)


def pick(detections: sv.Detections, index: NDArray[np.bool_] | list[int]) -> sv.Detections:
    """The detections selected by a boolean mask or a list of positions, as a new Detections."""
    picked = detections[index]
    if not isinstance(picked, sv.Detections):
        raise TypeError(f"selecting detections with {index!r} gave a {type(picked).__name__}")
    return picked


def class_mask(detections: sv.Detections, classes: tuple[str, ...]) -> NDArray[np.bool_]:
    """Detections whose `data["class_name"]` or `data["group"]` is one of `classes`."""
    wanted, blank = set(classes), [""] * len(detections)
    names, groups = detections.data.get("class_name", blank), detections.data.get("group", blank)
    matches = [str(name) in wanted or str(group) in wanted for name, group in zip(names, groups, strict=True)]
    return np.array(matches, dtype=np.bool_).reshape(len(detections))


class Rule(ABC, Generic[C]):
    """A rule over the tracked detections of one camera: `evaluate` once per processed frame.

    Built from its own config type `C`; the zone or line it refers to is looked up once, here.
    """

    kind: ClassVar[AlertKind]

    def __init__(self, config: C, shapes: Shapes) -> None:
        self.config = config
        zones, lines = config.zone_refs(), config.line_refs()
        self.zone: Zone | None = shapes.zone(zones[0]) if zones else None
        self.line: Line | None = shapes.line(lines[0]) if lines else None
        self.geometry: Zone | Line | None = self.zone if self.zone is not None else self.line

    @property
    def id(self) -> str:
        """The rule's id."""
        return self.config.id

    @abstractmethod
    def evaluate(self, detections: sv.Detections, t: float, frame_index: int) -> list[RuleHit]:
        """Update with one frame's detections at stream time `t` (s); the hits it raises."""

    @abstractmethod
    def reset(self) -> None:
        """Forget all state (new source, reconnect)."""

    @property
    @abstractmethod
    def state_size(self) -> int:
        """How many objects (or episodes) the rule remembers now."""

    def _hit(self, detections: sv.Detections, t: float, frame_index: int, details: Details) -> RuleHit:
        track_ids = () if detections.tracker_id is None else tuple(int(k) for k in detections.tracker_id)
        return RuleHit(
            rule_id=self.config.id,
            kind=self.kind,
            severity=self.config.severity,
            t=t,
            frame_index=frame_index,
            track_ids=track_ids,
            detections=detections,
            geometry=self.geometry,
            details=details,
        )


class TrackRule(Rule[T], Generic[T, S]):
    """Skeleton of a per-object rule: subclasses implement `_update` for one track in one frame.

    Objects count as inside when the rule has no zone (a line rule, a rule of the whole frame).
    """

    def __init__(self, config: T, shapes: Shapes) -> None:
        super().__init__(config, shapes)
        self._tracks: TrackStates[S] = TrackStates(config.lost_after_s)
        self._cooldown: Cooldown[int] = Cooldown(config.cooldown_s)
        radius, lost_after_s = config.id_switch_radius_px, config.lost_after_s
        self._guard = None if radius is None else IdSwitchGuard(radius, lost_after_s, config.cooldown_s)

    def evaluate(self, detections: sv.Detections, t: float, frame_index: int) -> list[RuleHit]:
        """Update every confirmed track of the watched classes; one hit per object and episode."""
        index = np.flatnonzero(candidates(detections, self.config.classes))
        points = anchor_points(detections, self.config.anchor)[index]
        inside = np.ones(len(index), dtype=np.bool_) if self.zone is None else self.zone.contains(points)
        track_ids = [] if detections.tracker_id is None else detections.tracker_id[index].tolist()
        visible, hits = set(track_ids), []
        for k, (track_id, (x, y)) in enumerate(zip(track_ids, points.tolist(), strict=True)):
            details = self._update(track_id, (x, y), bool(inside[k]), t)
            if self._guard is not None:
                self._guard.seen(track_id, (x, y), t)
            if details is not None and self._allowed(track_id, (x, y), t, visible):
                hits.append(self._hit(pick(detections, [int(index[k])]), t, frame_index, details))
        self._tracks.sweep(t)
        self._cooldown.prune(t)
        if self._guard is not None:
            self._guard.prune(t)
        return hits

    def _allowed(self, track_id: int, point: Point, t: float, visible: set[int]) -> bool:
        """Whether a hit for the track may be raised now; records it (cooldown, reported position)."""
        if not self._cooldown.ready(track_id, t):
            return False
        old_id = None if self._guard is None else self._guard.switched_from(track_id, point, t, visible)
        hit_t = t if old_id is None or self._guard is None else self._guard.hit_time(old_id)
        self._cooldown.mark(track_id, hit_t)
        if self._guard is not None:
            self._guard.reported(track_id, point, t, hit_t)
        if old_id is not None:
            logger.debug("rule %s: track %d looks like track %d under a new id", self.id, track_id, old_id)
        return old_id is None

    @abstractmethod
    def _update(self, track_id: int, point: Point, inside: bool, t: float) -> Details | None:
        """Advance one track; the hit details when its episode's condition is first met, else None."""

    def reset(self) -> None:
        """Forget all tracks and cooldowns."""
        self._tracks.clear()
        self._cooldown.clear()
        if self._guard is not None:
            self._guard.clear()

    @property
    def state_size(self) -> int:
        """Tracks remembered plus cooldowns still running (and reported tracks followed for id switches)."""
        return len(self._tracks) + len(self._cooldown) + (0 if self._guard is None else len(self._guard))
