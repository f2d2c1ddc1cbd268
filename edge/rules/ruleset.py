"""All rules of one camera, built from its `RulesConfig` and evaluated together on every frame."""

from __future__ import annotations

import logging
from typing import Any

import supervision as sv

from edge.rules.base import Rule, Shapes
from edge.rules.config import RulesConfig
from edge.rules.geometry import Line, Zone
from edge.rules.hit import RuleHit
from edge.rules.registry import RULE_TYPES

logger = logging.getLogger(__name__)


class RuleSet:
    """The enabled rules of one camera.

    Example:
        >>> rules = build_rules(RulesConfig.model_validate({
        ...     "zones": [{"name": "yard", "points": [[0, 0], [640, 0], [640, 480]]}],
        ...     "rules": [{"id": "yard-intrusion", "type": "intrusion", "zone": "yard"}]}))
        >>> rules.evaluate(sv.Detections.empty(), t=0.0, frame_index=0)
        []
    """

    def __init__(self, rules: list[Rule[Any]], shapes: Shapes) -> None:
        self.rules = tuple(rules)
        self.shapes = shapes
        self._last_t: float | None = None

    def evaluate(self, detections: sv.Detections, t: float, frame_index: int) -> list[RuleHit]:
        """Run every rule on one frame's tracked detections at stream time `t` (s)."""
        if self._last_t is not None and t < self._last_t:
            logger.warning("stream time went back from %.3f s to %.3f s: rules reset", self._last_t, t)
            self.reset()
        self._last_t = t
        return [hit for rule in self.rules for hit in rule.evaluate(detections, t, frame_index)]

    def reset(self) -> None:
        """Forget all tracks, episodes and cooldowns (new source, reconnect)."""
        self._last_t = None
        for rule in self.rules:
            rule.reset()

    @property
    def state_size(self) -> int:
        """Objects, episodes and cooldowns remembered by all rules together."""
        return sum(rule.state_size for rule in self.rules)


def build_rules(config: RulesConfig) -> RuleSet:
    """The rule set of one camera; disabled rules are left out."""
    shapes = Shapes(
        zones={zone.name: Zone.from_config(zone) for zone in config.zones},
        lines={line.name: Line.from_config(line) for line in config.lines},
    )
    rules = [RULE_TYPES[rule.type][1](rule, shapes) for rule in config.rules if rule.enabled]
    return RuleSet(rules, shapes)
