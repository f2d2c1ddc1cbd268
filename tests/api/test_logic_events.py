"""Codes, correlation, lifecycle, roles and escalation planning, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.errors import ConflictError
from api.logic.clocks import Deadline, Deadlines, Milestones
from api.logic.codes import code_prefix, format_code
from api.logic.correlation import OpenEvent, correlation_key, pick_event, pick_for_clear
from api.logic.escalation import TOP_LEVEL, plan
from api.logic.lifecycle import Action, Status, allowed_actions, next_status
from api.logic.roles import Role, in_scope, may_act
from tests.api.builders import is_event_code

T0 = datetime(2026, 11, 21, 15, 59, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


def test_code_uses_the_local_day_and_reads_aloud() -> None:
    prefix = code_prefix(county="DX", at=T0, type_code="FIRE", zone=ZoneInfo("Asia/Shanghai"))
    assert prefix == "DX-20261121-FIRE"  # 23:59 in Shanghai
    late = code_prefix(
        county="DX", at=T0 + timedelta(minutes=2), type_code="FIRE", zone=ZoneInfo("Asia/Shanghai")
    )
    assert late == "DX-20261122-FIRE"
    assert format_code(prefix, 7) == "DX-20261121-FIRE-0007"
    assert format_code(prefix, 12345) == "DX-20261121-FIRE-12345"
    assert is_event_code("DX-20261121-FIRE-0007")
    assert not is_event_code("DX-2026-FIRE-7")


def test_sequence_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        format_code("DX-20261121-FIRE", 0)


def test_correlation_key_per_cell_or_per_device() -> None:
    assert correlation_key(cell_code="C1", device_id="edge-1") == "cell:C1"
    assert correlation_key(cell_code=None, device_id="edge-1") == "device:edge-1"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(minutes=5), 1),
        (timedelta(minutes=10), 1),
        (timedelta(minutes=10, seconds=1), None),
        (-timedelta(minutes=9), 1),  # late-arriving alert observed before the event's first alert
        (-timedelta(minutes=11), None),
    ],
)
def test_pick_event_within_the_window(offset: timedelta, expected: int | None) -> None:
    candidates = [OpenEvent(1, T0, T0)]
    assert pick_event(candidates, observed_at=T0 + offset, window=WINDOW) == expected


def test_pick_event_prefers_the_most_recently_seen() -> None:
    candidates = [OpenEvent(1, T0, T0), OpenEvent(2, T0, T0 + timedelta(minutes=3))]
    assert pick_event(candidates, observed_at=T0 + timedelta(minutes=4), window=WINDOW) == 2
    assert pick_event([], observed_at=T0, window=WINDOW) is None


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (Status.NEW, Action.ACKNOWLEDGE, Status.ACKNOWLEDGED),
        (Status.ACKNOWLEDGED, Action.DISPATCH, Status.DISPATCHED),
        (Status.DISPATCHED, Action.DISPATCH, Status.DISPATCHED),
        (Status.DISPATCHED, Action.START, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Action.RESOLVE, Status.RESOLVED),
        (Status.RESOLVED, Action.CLOSE, Status.CLOSED),
        (Status.NEW, Action.DISMISS, Status.DISMISSED),
        (Status.DISMISSED, Action.REOPEN, Status.ACKNOWLEDGED),
        (Status.CLOSED, Action.REOPEN, Status.ACKNOWLEDGED),
    ],
)
def test_valid_transitions(status: Status, action: Action, expected: Status) -> None:
    assert next_status(status, action) is expected


def test_invalid_transition_lists_the_allowed_actions() -> None:
    with pytest.raises(ConflictError) as caught:
        next_status(Status.NEW, Action.RESOLVE)
    assert caught.value.allowed == ["acknowledge", "dismiss"]
    assert "allowed: acknowledge, dismiss" in str(caught.value)
    assert allowed_actions(Status.CLOSED) == [Action.REOPEN]


def test_roles_and_scopes() -> None:
    assert may_act(Role.OPERATOR, Action.ACKNOWLEDGE)
    assert not may_act(Role.OPERATOR, Action.REOPEN)
    assert not may_act(Role.CASE_SYSTEM, Action.DISMISS)
    assert in_scope("/", "/A/B/")
    assert in_scope("/A/", "/A/B/")
    assert not in_scope("/A/B/", "/A/")
    assert not in_scope("/A/", "/AB/")


def _deadlines() -> Deadlines:
    return Deadlines(T0 + timedelta(hours=2), T0 + timedelta(hours=48), T0 + timedelta(days=9))


def test_plan_escalates_one_level_per_newly_missed_deadline() -> None:
    steps = plan(
        deadlines=_deadlines(), milestones=Milestones(), level=0, already=(), now=T0 + timedelta(hours=3)
    )
    assert [(s.deadline, s.from_level, s.to_level) for s in steps] == [(Deadline.ACK, 0, 1)]
    again = plan(
        deadlines=_deadlines(), milestones=Milestones(), level=1, already={"ack"}, now=T0 + timedelta(hours=4)
    )
    assert again == []


def test_plan_never_goes_past_the_county() -> None:
    steps = plan(
        deadlines=_deadlines(),
        milestones=Milestones(),
        level=TOP_LEVEL,
        already=(),
        now=T0 + timedelta(days=10),
    )
    assert [s.to_level for s in steps] == [TOP_LEVEL] * 3


def test_a_clear_picks_the_latest_event_whatever_the_window() -> None:
    old = OpenEvent(1, T0 - timedelta(days=2), T0 - timedelta(days=1))
    older = OpenEvent(2, T0 - timedelta(days=5), T0 - timedelta(days=4))
    assert pick_for_clear([older, old]) == 1
    assert pick_for_clear([]) is None
