"""The console's navigation: one list that later pages (map, dashboard, devices) add their entry to.

Example:
    >>> [item.key for item in visible(Role.OPERATOR)]
    ['queue']
"""

from __future__ import annotations

from dataclasses import dataclass

from api.logic.roles import Role

ALL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class NavItem:
    """One entry: its message key `nav.<key>`, where it leads, who sees it, which paths light it up."""

    key: str
    href: str
    roles: frozenset[Role] = ALL_ROLES
    prefixes: tuple[str, ...] = ()

    def active(self, path: str) -> bool:
        """Whether `path` belongs to this entry's pages."""
        return path == self.href or any(path.startswith(p) for p in self.prefixes)


NAV: list[NavItem] = [
    NavItem("queue", "/", prefixes=("/events/",)),
]
"""In display order; a page module appends its item when it is written (e.g. `NavItem("map", "/map")`)."""


def visible(role: Role) -> list[NavItem]:
    """The entries `role` may use."""
    return [item for item in NAV if role in item.roles]
