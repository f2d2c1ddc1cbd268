"""Every rule type, by the value of its config's `type` field: `{type: (ConfigClass, RuleClass)}`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from edge.rules.base import Rule, RuleConfigBase
from edge.rules.crowd import CrowdConfig, CrowdRule
from edge.rules.intrusion import IntrusionConfig, IntrusionRule
from edge.rules.line_crossing import LineCrossingConfig, LineCrossingRule
from edge.rules.loitering import LoiteringConfig, LoiteringRule
from edge.rules.stationary import VehicleStationaryConfig, VehicleStationaryRule

RuleConfig = Annotated[
    IntrusionConfig | LineCrossingConfig | CrowdConfig | LoiteringConfig | VehicleStationaryConfig,
    Field(discriminator="type"),
]
"""The config of any rule, chosen by its `type` field."""

RULE_TYPES: dict[str, tuple[type[RuleConfigBase], type[Rule[Any]]]] = {
    "intrusion": (IntrusionConfig, IntrusionRule),
    "line_crossing": (LineCrossingConfig, LineCrossingRule),
    "crowd": (CrowdConfig, CrowdRule),
    "loitering": (LoiteringConfig, LoiteringRule),
    "vehicle_stationary": (VehicleStationaryConfig, VehicleStationaryRule),
}
