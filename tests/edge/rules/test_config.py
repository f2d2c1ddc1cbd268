"""RulesConfig: YAML shape, registry, and errors that name the rule, zone or line."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from edge.rules import (
    RULE_TYPES,
    CrowdRule,
    IntrusionRule,
    LineCrossingRule,
    LoiteringRule,
    RulesConfig,
    VehicleStationaryRule,
    build_rules,
)

CAMERA_YAML = """
zones:
  - name: yard
    points: [[100, 100], [540, 100], [540, 400], [100, 400]]
lines:
  - name: gate
    start: [100, 300]
    end: [540, 300]
rules:
  - {id: yard-intrusion, type: intrusion, zone: yard, classes: [person], min_frames: 3, severity: high}
  - {id: gate-in, type: line_crossing, line: gate, direction: a_to_b}
  - {id: yard-crowd, type: crowd, zone: yard, min_count: 5, min_duration_s: 10}
  - {id: yard-loitering, type: loitering, zone: yard, min_duration_s: 60, enabled: false}
  - {id: yard-parking, type: vehicle_stationary, zone: yard, min_duration_s: 120}
"""

SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10]]


def config(rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    base = {
        "zones": [{"name": "yard", "points": SQUARE}],
        "lines": [{"name": "gate", "start": [0, 5], "end": [10, 5]}],
    }
    return base | {"rules": rules} | extra


def test_example_yaml_builds_the_enabled_rules() -> None:
    rules = build_rules(RulesConfig.model_validate(yaml.safe_load(CAMERA_YAML)))
    assert [type(rule) for rule in rules.rules] == [
        IntrusionRule,
        LineCrossingRule,
        CrowdRule,
        VehicleStationaryRule,
    ]
    assert [rule.id for rule in rules.rules] == ["yard-intrusion", "gate-in", "yard-crowd", "yard-parking"]


def test_config_round_trips_with_rule_specific_fields() -> None:
    parsed = RulesConfig.model_validate(yaml.safe_load(CAMERA_YAML))
    dumped = parsed.model_dump(mode="json")
    assert dumped["rules"][0]["min_frames"] == 3
    assert RulesConfig.model_validate(dumped) == parsed


def test_registry_types_match_config_literals() -> None:
    for kind, (config_class, rule_class) in RULE_TYPES.items():
        assert config_class.model_fields["type"].default == kind
        assert rule_class.kind.value == kind
    assert LoiteringRule in {rule for _, rule in RULE_TYPES.values()}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (config([{"id": "a", "type": "intrusion", "zone": "garden"}]), r"rule 'a': unknown zone 'garden'"),
        (config([{"id": "a", "type": "line_crossing", "line": "fence"}]), r"rule 'a': unknown line 'fence'"),
        (config([{"id": "a", "type": "vehicle_stationary", "zone": "lot"}]), r"rule 'a': unknown zone 'lot'"),
        (
            config(
                [
                    {"id": "a", "type": "crowd", "zone": "yard"},
                    {"id": "a", "type": "loitering", "zone": "yard"},
                ]
            ),
            r"duplicate rule id: 'a'",
        ),
        (config([{"id": "a", "type": "teleport"}]), r"rule 'a': type 'teleport' is not one of"),
        (config([{"id": "a", "zone": "yard"}]), r"rule 'a': type None is not one of"),
        (
            config([{"id": "door", "type": "intrusion", "zone": "yard", "min_frames": 0}]),
            r"rule 'door' \(intrusion\): min_frames: Input should be greater than or equal to 1 \(got 0\)",
        ),
        (
            config([{"id": "door", "type": "intrusion", "zone": "yard", "colour": "red"}]),
            r"rule 'door' \(intrusion\): colour: Extra inputs are not permitted",
        ),
        (
            config([{"id": "gate", "type": "line_crossing", "line": "gate", "direction": "up"}]),
            r"rule 'gate' \(line_crossing\): direction: Input should be 'a_to_b', 'b_to_a' or 'both'",
        ),
        (
            config([{"type": "crowd", "zone": "yard", "classes": []}]),
            r"rule '#0' \(crowd\): id: Field required",
        ),
        (
            config([{"id": "c", "type": "crowd", "zone": "yard", "classes": [""]}]),
            r"rule 'c' \(crowd\): classes: .*contains an empty name",
        ),
        (config([], zones=[{"name": "yard", "points": SQUARE}] * 2), r"duplicate zone name: 'yard'"),
        (
            config([], zones=[{"name": "tiny", "points": [[0, 0], [1, 1]]}]),
            r"zone 'tiny': a polygon needs at least 3",
        ),
        (config([], cameras=[]), r"cameras\n  Extra inputs are not permitted"),
    ],
)
def test_bad_config_is_refused_with_a_message_naming_it(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RulesConfig.model_validate(raw)
