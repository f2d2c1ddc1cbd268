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
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from edge.rules.base import RuleConfigBase
from edge.rules.geometry import LineConfig, ZoneConfig
from edge.rules.registry import RULE_TYPES, RuleConfig
from gridwatch.strict import Strict
from gridwatch.yamlfile import problem, problems


class RulesConfig(Strict):
    """Zones, lines and rules of one camera; rules refer to zones and lines by name."""

    zones: list[ZoneConfig] = Field(default_factory=list, description="Named polygons in image pixels")
    lines: list[LineConfig] = Field(default_factory=list, description="Named segments in image pixels")
    rules: list[RuleConfig] = Field(
        default_factory=list, description=f"Rules; `type` is one of {sorted(RULE_TYPES)}"
    )

    @field_validator("rules", mode="wrap")
    @classmethod
    def _name_the_rule(cls, rules: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Errors of a rule name it by id and type (the union itself names it by position)."""
        try:
            return handler(rules)
        except ValidationError as exc:
            if not isinstance(rules, list):
                raise
            raise ValueError(_rule_problem(rules, exc)) from None

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


def _rule_problem(rules: list[Any], exc: ValidationError) -> str:
    """The first rule in error, named: its unknown type, or its fields' problems."""
    errors = exc.errors()
    index = next((e["loc"][0] for e in errors if e["loc"] and isinstance(e["loc"][0], int)), None)
    if index is None:
        return problems(exc)
    raw = rules[index]
    name = repr(raw.get("id", f"#{index}")) if isinstance(raw, dict) else f"#{index}"
    mine = [e for e in errors if e["loc"][:1] == (index,)]
    if mine[0]["type"] in ("union_tag_invalid", "union_tag_not_found"):
        kind = raw.get("type") if isinstance(raw, dict) else None
        return f"rule {name}: type {kind!r} is not one of {sorted(RULE_TYPES)}"
    kind = str(mine[0]["loc"][1]) if len(mine[0]["loc"]) > 1 else "?"
    fields = "; ".join(problem({**e, "loc": e["loc"][2:]}, top="rule") for e in mine)
    return f"rule {name} ({kind}): {fields}"


def _unique(what: str, names: list[str]) -> None:
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise ValueError(f"duplicate {what}: {', '.join(repr(name) for name in repeated)}")


def _known(rule: RuleConfigBase, what: str, refs: tuple[str, ...], known: set[str]) -> None:
    for ref in refs:
        if ref not in known:
            raise ValueError(f"rule {rule.id!r}: unknown {what} {ref!r}; known {what}s: {sorted(known)}")
