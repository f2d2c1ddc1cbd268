"""Rules engine: tracked detections of one camera in, `RuleHit`s out; pure logic, no video, no network.

Build a camera's rules once from its config and call `evaluate` on every processed frame:

    rules = build_rules(RulesConfig.model_validate(camera_yaml))
    hits = rules.evaluate(tracked_detections, t=frame.pts, frame_index=frame.index)

Config of one camera (YAML; a camera's `rules:` key in the edge config):

    zones:
      - {name: yard, points: [[100, 100], [540, 100], [540, 400], [100, 400]]}
    lines:
      - {name: gate, start: [100, 300], end: [540, 300]}   # walking start → end, side A is on the left
    rules:
      - {id: yard-intrusion, type: intrusion, zone: yard, classes: [person], min_frames: 3, severity: high}
      - {id: gate-in, type: line_crossing, line: gate, direction: a_to_b}
      - {id: yard-crowd, type: crowd, zone: yard, min_count: 5, min_duration_s: 10, clear_after_s: 3}
      - {id: yard-loitering, type: loitering, zone: yard, min_duration_s: 60}
      - {id: yard-parking, type: vehicle_stationary, zone: yard, classes: [vehicle], min_duration_s: 120}

Each rule reports one hit per object (crowd: per zone) and episode, never one per frame, with a
cooldown; see `edge.rules.base` for the exact episode semantics and `edge.rules.geometry` for the
line side convention.
"""

from edge.rules.base import Rule, RuleConfigBase, Shapes, TrackRuleConfig, candidates, class_mask
from edge.rules.config import RulesConfig
from edge.rules.crowd import CrowdConfig, CrowdRule
from edge.rules.errors import RulesError
from edge.rules.geometry import Anchor, Direction, Line, LineConfig, Zone, ZoneConfig, anchor_points
from edge.rules.hit import RuleHit
from edge.rules.intrusion import IntrusionConfig, IntrusionRule
from edge.rules.line_crossing import LineCrossingConfig, LineCrossingRule
from edge.rules.loitering import LoiteringConfig, LoiteringRule
from edge.rules.registry import RULE_TYPES
from edge.rules.ruleset import RuleSet, build_rules
from edge.rules.stationary import VehicleStationaryConfig, VehicleStationaryRule

__all__ = [
    "RULE_TYPES",
    "Anchor",
    "CrowdConfig",
    "CrowdRule",
    "Direction",
    "IntrusionConfig",
    "IntrusionRule",
    "Line",
    "LineConfig",
    "LineCrossingConfig",
    "LineCrossingRule",
    "LoiteringConfig",
    "LoiteringRule",
    "Rule",
    "RuleConfigBase",
    "RuleHit",
    "RuleSet",
    "RulesConfig",
    "RulesError",
    "Shapes",
    "TrackRuleConfig",
    "VehicleStationaryConfig",
    "VehicleStationaryRule",
    "Zone",
    "ZoneConfig",
    "anchor_points",
    "build_rules",
    "candidates",
    "class_mask",
]
