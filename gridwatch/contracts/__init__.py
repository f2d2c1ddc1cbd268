"""Wire contracts shared by the edge worker and the central API (one definition of each)."""

from gridwatch.contracts.alert import (
    Alert,
    AlertKind,
    AlertPhase,
    EvidenceBox,
    Evidence,
    Location,
    ModelRef,
    Reading,
    Severity,
    SourceKind,
)

__all__ = [
    "Alert",
    "AlertKind",
    "AlertPhase",
    "Evidence",
    "EvidenceBox",
    "Location",
    "ModelRef",
    "Reading",
    "Severity",
    "SourceKind",
]
