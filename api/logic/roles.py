"""Roles and what each may do; scoping to a grid subtree applies on top of this."""

from __future__ import annotations

from enum import StrEnum

from api.logic.lifecycle import Action


class Role(StrEnum):
    """The kinds of API user."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    CASE_SYSTEM = "case_system"


ACTION_ROLES: dict[Action, frozenset[Role]] = {
    Action.ACKNOWLEDGE: frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    Action.DISPATCH: frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    Action.START: frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN, Role.CASE_SYSTEM}),
    Action.RESOLVE: frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN, Role.CASE_SYSTEM}),
    Action.CLOSE: frozenset({Role.SUPERVISOR, Role.ADMIN, Role.CASE_SYSTEM}),
    Action.DISMISS: frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    Action.REOPEN: frozenset({Role.SUPERVISOR, Role.ADMIN}),
}

WEBHOOK_ROLES = frozenset({Role.CASE_SYSTEM, Role.ADMIN})


def may_act(role: Role, action: Action) -> bool:
    """Whether `role` may take `action` on an event inside its scope."""
    return role in ACTION_ROLES[action]


def in_scope(scope_path: str, grid_path: str) -> bool:
    """Whether a grid path lies in the subtree `scope_path` ("/" is everything)."""
    return grid_path.startswith(scope_path)
