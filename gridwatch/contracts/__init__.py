"""Wire contracts shared by the edge worker and the central API (one definition of each)."""

from gridwatch.contracts.alert import (
    Alert,
    AlertKind,
    AlertPhase,
    Evidence,
    EvidenceBox,
    Location,
    ModelRef,
    Reading,
    Severity,
    SourceKind,
)
from gridwatch.contracts.detection import DetectionRecord, FrameRecord

__all__ = [
    "Alert",
    "AlertKind",
    "AlertPhase",
    "DetectionRecord",
    "Evidence",
    "EvidenceBox",
    "FrameRecord",
    "Location",
    "ModelRef",
    "Reading",
    "Severity",
    "SourceKind",
]
