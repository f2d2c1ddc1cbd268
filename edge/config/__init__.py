"""The edge box's configuration: every section, read once from YAML and validated whole.

Runtime modules import their section from here, never the reverse: this package imports nothing of
the edge but its rules' own configs (`edge.rules`, pure logic). `EdgeConfig` is the whole box
(`edge.config.box`); a camera is `CameraConfig` (`edge.config.camera`), its stream read as its
`source` settings say (`ingest.SourceSettings`).
"""

from edge.config.api import ApiConfig
from edge.config.box import BOX_FIELDS, BoxConfig, EdgeConfig, load_edge_config, resolved
from edge.config.camera import CameraConfig, CameraOrigin, CameraSource
from edge.config.clips import BufferKind, ClipsConfig
from edge.config.errors import EdgeConfigError
from edge.config.filters import ObjectFilter
from edge.config.gate import GateConfig
from edge.config.http import HttpConfig
from edge.config.outbox import OutboxConfig
from edge.config.regions import RegionsConfig
from edge.config.sensors import FlagConfig, RateOfRiseConfig, SensorConfig, ThresholdConfig

__all__ = [
    "BOX_FIELDS",
    "ApiConfig",
    "BoxConfig",
    "BufferKind",
    "CameraConfig",
    "CameraOrigin",
    "CameraSource",
    "ClipsConfig",
    "EdgeConfig",
    "EdgeConfigError",
    "FlagConfig",
    "GateConfig",
    "HttpConfig",
    "ObjectFilter",
    "OutboxConfig",
    "RateOfRiseConfig",
    "RegionsConfig",
    "SensorConfig",
    "ThresholdConfig",
    "load_edge_config",
    "resolved",
]
