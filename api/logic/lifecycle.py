"""The event state machine: statuses, actions, and who may take each action."""

from __future__ import annotations

from enum import StrEnum

from api.errors import ConflictError


class Status(StrEnum):
    """Where an event is in its life."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DISMISSED = "dismissed"


class Action(StrEnum):
    """What a user can do to an event."""

    ACKNOWLEDGE = "acknowledge"
    DISPATCH = "dispatch"
    START = "start"
    RESOLVE = "resolve"
    CLOSE = "close"
    DISMISS = "dismiss"
    REOPEN = "reopen"


OPEN_STATUSES = frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.DISPATCHED, Status.IN_PROGRESS})

TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ACKNOWLEDGE: (frozenset({Status.NEW}), Status.ACKNOWLEDGED),
    Action.DISPATCH: (frozenset({Status.ACKNOWLEDGED, Status.DISPATCHED}), Status.DISPATCHED),
    Action.START: (frozenset({Status.DISPATCHED}), Status.IN_PROGRESS),
    Action.RESOLVE: (frozenset({Status.IN_PROGRESS}), Status.RESOLVED),
    Action.CLOSE: (frozenset({Status.RESOLVED}), Status.CLOSED),
    Action.DISMISS: (frozenset({Status.NEW, Status.ACKNOWLEDGED}), Status.DISMISSED),
    Action.REOPEN: (frozenset({Status.RESOLVED, Status.CLOSED, Status.DISMISSED}), Status.ACKNOWLEDGED),
}


def allowed_actions(status: Status) -> list[Action]:
    """The actions that are valid from `status`, in lifecycle order."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def next_status(status: Status, action: Action) -> Status:
    """The status after `action`; ConflictError listing the allowed actions when invalid."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        allowed = [a.value for a in allowed_actions(status)]
        raise ConflictError(
            f"cannot {action.value} an event that is {status.value}; allowed: {', '.join(allowed) or 'none'}",
            allowed=allowed,
        )
    return target
