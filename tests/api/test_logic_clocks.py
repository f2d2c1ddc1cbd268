"""SLA clocks and the working-day calendar, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.centre import HolidayCalendar, SlaClass, SlaPolicy
from api.logic.clocks import Deadline, Deadlines, Milestones, compute_deadlines, missed

SHANGHAI = ZoneInfo("Asia/Shanghai")
NATIONAL_DAY = HolidayCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)), workdays=frozenset({date(2026, 10, 10)})
)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 11, 16), 7, date(2026, 11, 25)),  # Monday → next Wednesday, skipping a weekend
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday → Monday
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # the day before National Day → after it
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # a worked Saturday (调休) counts
    ],
)
def test_add_working_days(start: date, count: int, expected: date) -> None:
    assert NATIONAL_DAY.add_working_days(start, count) == expected


def test_ordinary_resolution_is_seven_working_days_at_the_same_local_time() -> None:
    opened = datetime(2026, 9, 29, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, Tuesday
    due = compute_deadlines(
        opened_at=opened, sla=SlaClass.ORDINARY, policy=SlaPolicy(), calendar=NATIONAL_DAY, zone=SHANGHAI
    )
    assert due.ack_due == opened + timedelta(hours=2)
    assert due.feedback_due == opened + timedelta(hours=48)
    # 30 Sep, 8, 9, 10 (worked Saturday), 12, 13, 14 Oct
    assert due.resolution_due == datetime(2026, 10, 14, 9, 30, tzinfo=SHANGHAI)


def test_complex_resolution_is_21_calendar_days() -> None:
    opened = datetime(2026, 9, 29, 1, 30, tzinfo=UTC)
    due = compute_deadlines(
        opened_at=opened, sla=SlaClass.COMPLEX, policy=SlaPolicy(), calendar=NATIONAL_DAY, zone=SHANGHAI
    )
    assert due.resolution_due == opened + timedelta(days=21)


def test_missed_lists_past_deadlines_whose_milestone_is_missing() -> None:
    t0 = datetime(2026, 11, 2, tzinfo=UTC)
    deadlines = Deadlines(t0 + timedelta(hours=2), t0 + timedelta(hours=48), t0 + timedelta(days=9))
    assert missed(deadlines, Milestones(), t0 + timedelta(hours=1)) == []
    assert missed(deadlines, Milestones(), t0 + timedelta(hours=3)) == [Deadline.ACK]
    acked = Milestones(acknowledged_at=t0 + timedelta(hours=1))
    assert missed(deadlines, acked, t0 + timedelta(days=10)) == [Deadline.FEEDBACK, Deadline.RESOLUTION]
