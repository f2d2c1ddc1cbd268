"""SLA clocks: the three deadlines of an event and which of them are missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from api.centre import HolidayCalendar, SlaClass, SlaPolicy


class Deadline(StrEnum):
    """The milestones an event is clocked on."""

    ACK = "ack"
    FEEDBACK = "feedback"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class Deadlines:
    """When each milestone is due (UTC)."""

    ack_due: datetime
    feedback_due: datetime
    resolution_due: datetime

    def due(self, deadline: Deadline) -> datetime:
        """The due time of one deadline."""
        return {
            Deadline.ACK: self.ack_due,
            Deadline.FEEDBACK: self.feedback_due,
            Deadline.RESOLUTION: self.resolution_due,
        }[deadline]


@dataclass(frozen=True)
class Milestones:
    """When each milestone was reached, if it was."""

    acknowledged_at: datetime | None = None
    in_progress_at: datetime | None = None
    resolved_at: datetime | None = None

    def reached(self, deadline: Deadline) -> datetime | None:
        """When the milestone clocked by `deadline` was reached."""
        return {
            Deadline.ACK: self.acknowledged_at,
            Deadline.FEEDBACK: self.in_progress_at,
            Deadline.RESOLUTION: self.resolved_at,
        }[deadline]


def resolution_due(
    opened_at: datetime, sla: SlaClass, policy: SlaPolicy, calendar: HolidayCalendar, zone: ZoneInfo
) -> datetime:
    """Ordinary: same local time on the n-th working day after opening; complex: n calendar days."""
    if sla is SlaClass.COMPLEX:
        return opened_at + timedelta(days=policy.complex_resolution_days)
    local = opened_at.astimezone(zone)
    day = calendar.add_working_days(local.date(), policy.ordinary_resolution_working_days)
    return datetime.combine(day, local.time(), tzinfo=zone).astimezone(opened_at.tzinfo)


def compute_deadlines(
    *, opened_at: datetime, sla: SlaClass, policy: SlaPolicy, calendar: HolidayCalendar, zone: ZoneInfo
) -> Deadlines:
    """All three deadlines of an event opened at `opened_at`."""
    return Deadlines(
        ack_due=opened_at + timedelta(hours=policy.first_response_hours),
        feedback_due=opened_at + timedelta(hours=policy.feedback_hours),
        resolution_due=resolution_due(opened_at, sla, policy, calendar, zone),
    )


def missed(deadlines: Deadlines, milestones: Milestones, now: datetime) -> list[Deadline]:
    """Deadlines that are past while their milestone is still not reached, earliest first."""
    late = [d for d in Deadline if milestones.reached(d) is None and deadlines.due(d) <= now]
    return sorted(late, key=deadlines.due)
