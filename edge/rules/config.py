"""The rules of one camera as configured in YAML: zones, lines and rules, checked together.

Example:
    >>> config = RulesConfig.model_validate({
    ...     "zones": [{"name": "yard", "points": [[0, 0], [640, 0], [640, 480], [0, 480]]}],
    ...     "rules": [{"id": "yard-intrusion", "type": "intrusion", "zone": "yard"}],
    ... })
    >>> type(config.rules[0]).__name__
    'IntrusionConfig'
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from edge.rules.base import RuleConfigBase
from edge.rules.geometry import LineConfig, ZoneConfig
from edge.rules.registry import RULE_TYPES
from gridwatch.yamlfile import problems


class RulesConfig(BaseModel):
    """Zones, lines and rules of one camera; rules refer to zones and lines by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zones: list[ZoneConfig] = Field(default_factory=list, description="Named polygons in image pixels")
    lines: list[LineConfig] = Field(default_factory=list, description="Named segments in image pixels")
    rules: list[SerializeAsAny[RuleConfigBase]] = Field(
        default_factory=list, description=f"Rules; `type` is one of {sorted(RULE_TYPES)}"
    )

    @field_validator("rules", mode="before")
    @classmethod
    def _parse_rules(cls, rules: Any) -> Any:
        if not isinstance(rules, list):
            return rules
        return [_parse_rule(k, rule) for k, rule in enumerate(rules)]

    @model_validator(mode="after")
    def _consistent(self) -> RulesConfig:
        _unique("zone name", [zone.name for zone in self.zones])
        _unique("line name", [line.name for line in self.lines])
        _unique("rule id", [rule.id for rule in self.rules])
        zones, lines = {zone.name for zone in self.zones}, {line.name for line in self.lines}
        for rule in self.rules:
            _known(rule, "zone", rule.zone_refs(), zones)
            _known(rule, "line", rule.line_refs(), lines)
        return self


def _parse_rule(index: int, raw: Any) -> Any:
    """A raw rule mapping parsed by the config class its `type` names; errors name the rule."""
    if isinstance(raw, RuleConfigBase) or not isinstance(raw, dict):
        return raw
    name = repr(raw.get("id", f"#{index}"))
    kind = raw.get("type")
    if kind not in RULE_TYPES:
        raise ValueError(f"rule {name}: type {kind!r} is not one of {sorted(RULE_TYPES)}")
    try:
        return RULE_TYPES[kind][0].model_validate(raw)
    except ValidationError as error:
        raise ValueError(f"rule {name} ({kind}): {problems(error, top='rule')}") from None


def _unique(what: str, names: list[str]) -> None:
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise ValueError(f"duplicate {what}: {', '.join(repr(name) for name in repeated)}")


def _known(rule: RuleConfigBase, what: str, refs: tuple[str, ...], known: set[str]) -> None:
    for ref in refs:
        if ref not in known:
            raise ValueError(f"rule {rule.id!r}: unknown {what} {ref!r}; known {what}s: {sorted(known)}")
