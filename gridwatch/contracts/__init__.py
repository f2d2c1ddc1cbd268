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
from gridwatch.contracts.clip import ClipInfo, ClipUploadState
from gridwatch.contracts.detection import DetectionRecord, FrameRecord

__all__ = [
    "Alert",
    "AlertKind",
    "AlertPhase",
    "ClipInfo",
    "ClipUploadState",
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
