"""SQLAlchemy 2 models; one module per concept, all registered on `Base.metadata`."""

from api.orm.alert import AlertRow, EvidenceRow
from api.orm.audit import AuditEntry
from api.orm.base import Base
from api.orm.box_config import BoxConfigVersion, CameraSnapshot
from api.orm.clip import ClipRow, EvidenceDeletion
from api.orm.console import ConsoleAccount, ConsoleSession, EventView, LoginThrottle
from api.orm.device import Device, Heartbeat
from api.orm.event import CodeCounter, Event, EventHistory, Supervision
from api.orm.grid import Grid
from api.orm.state import Revision
from api.orm.user import User
from api.orm.verdict import AlertVerdict
from api.orm.webhook import Delivery, Subscription

__all__ = [
    "AlertRow",
    "AlertVerdict",
    "AuditEntry",
    "Base",
    "BoxConfigVersion",
    "CameraSnapshot",
    "ClipRow",
    "CodeCounter",
    "ConsoleAccount",
    "ConsoleSession",
    "Delivery",
    "Device",
    "Event",
    "EventHistory",
    "EventView",
    "EvidenceDeletion",
    "EvidenceRow",
    "Grid",
    "Heartbeat",
    "LoginThrottle",
    "Revision",
    "Subscription",
    "Supervision",
    "User",
]
