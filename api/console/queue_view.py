"""The queue page's view model: the URL's filters parsed once, the rows, tabs and filter options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.console.i18n import Translator
from api.errors import BadInputError
from api.logic.clocks import Deadlines, Milestones
from api.logic.lifecycle import OPEN_STATUSES, Status, allowed_actions
from api.logic.roles import may_act
from api.logic.sla import Chip, next_chip
from api.orm import Event, Grid
from api.services.events import EventFilter, Order, list_events
from api.services.grids import grid_nodes, nodes_at
from api.services.principals import Principal
from api.services.queue import Tab, tab_counts, tab_filter, unreviewed_ids

PAGE_SIZE = 50
TOWNSHIP, VILLAGE, CELL = 2, 3, 4
COUNTED_TABS = (Tab.OPEN, Tab.NEW, Tab.IN_HAND, Tab.OVERDUE, Tab.DONE)


def _choice(name: str, value: str, allowed: type[StrEnum]) -> str:
    choices = [member.value for member in allowed]
    if value not in choices:
        raise BadInputError(f"{name}: {value!r} is not one of {', '.join(choices)}")
    return value


def _day(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInputError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class QueueQuery:
    """The queue's state, all of it in the URL (so reload and back/forward keep it)."""

    tab: Tab = Tab.OPEN
    status: str = ""
    type: str = ""
    township: str = ""
    village: str = ""
    cell: str = ""
    overdue: str = ""
    since: str = ""
    until: str = ""
    cursor: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> QueueQuery:
        """From the query string; a bad value is a 422 naming the parameter."""
        known = {f.name for f in fields(cls)}
        values = {k: v.strip() for k, v in params.items() if k in known}
        tab = Tab(_choice("tab", values.pop("tab", "") or Tab.OPEN.value, Tab))
        query = cls(tab=tab, **values)
        if query.status:
            _choice("status", query.status, Status)
        first, last = _day("since", query.since), _day("until", query.until)
        if first and last and first > last:
            raise BadInputError(f"since {query.since} is after until {query.until}")
        return query

    def href(self, **changes: str) -> str:
        """The queue URL with some parameters changed (a new filter starts again at page one)."""
        changed = replace(self, **({"cursor": ""} | changes))  # type: ignore[arg-type]
        pairs = {f.name: str(getattr(changed, f.name)) for f in fields(self)}
        pairs = {k: v for k, v in pairs.items() if v and not (k == "tab" and v == Tab.OPEN)}
        return "/?" + urlencode(pairs) if pairs else "/"

    def base_filter(self, zone: ZoneInfo) -> EventFilter:
        """The filters other than the tab."""
        first, last = _day("since", self.since), _day("until", self.until)
        return EventFilter(
            statuses=(Status(self.status),) if self.status else (),
            type_code=self.type or None,
            grid=self.cell or self.village or self.township or None,
            since=datetime.combine(first, time(), zone) if first else None,
            until=datetime.combine(last + timedelta(days=1), time(), zone) if last else None,
            overdue=True if self.overdue else None,
        )


@dataclass(frozen=True)
class QueueRow:
    """One event as the queue shows it."""

    code: str
    type_name: str
    severity: str
    status: str
    place: list[str]
    located: bool
    alert_count: int
    first_seen: datetime
    last_seen: datetime
    chip: Chip | None
    unreviewed: bool
    actions: list[str]


@dataclass(frozen=True)
class TabView:
    """A tab with its counts."""

    tab: Tab
    href: str
    total: int
    unreviewed: int


@dataclass(frozen=True)
class Options:
    """Choices of the filter form (grids only below the user's own scope)."""

    types: list[tuple[str, str]]
    townships: list[Grid]
    villages: list[Grid]
    cells: list[Grid]


@dataclass(frozen=True)
class QueueView:
    """Everything the queue template shows."""

    query: QueueQuery
    rows: list[QueueRow]
    tabs: list[TabView]
    options: Options
    next_href: str | None


def type_name(t: Translator, type_names: Mapping[str, str], code: str) -> str:
    """The event type's name in the user's language (the centre's own name when the catalogue has none)."""
    return t.get(f"types.{code}", type_names.get(code, code))


def place_of(grid_path: str, names: Mapping[str, str]) -> list[str]:
    """乡 / 村 / 网格 names of a grid path (codes when a node is unknown)."""
    codes = [c for c in grid_path.split("/") if c][TOWNSHIP:]
    return [names.get(code, code) for code in codes]


def _row(
    event: Event,
    t: Translator,
    types: Mapping[str, str],
    names: Mapping[str, str],
    fresh: bool,
    principal: Principal,
    now: datetime,
) -> QueueRow:
    status = Status(event.status)
    deadlines = Deadlines(event.ack_due, event.feedback_due, event.resolution_due)
    milestones = Milestones(event.acknowledged_at, event.in_progress_at, event.resolved_at)
    return QueueRow(
        code=event.code,
        type_name=type_name(t, types, event.type_code),
        severity=event.severity,
        status=event.status,
        place=place_of(event.grid_path, names),
        located=event.located,
        alert_count=event.alert_count,
        first_seen=event.first_seen,
        last_seen=event.last_seen,
        chip=next_chip(event.created_at, deadlines, milestones, open_=status in OPEN_STATUSES, now=now),
        unreviewed=fresh,
        actions=[a.value for a in allowed_actions(status) if may_act(principal.role, a)],
    )


def _options(
    session: Session, principal: Principal, query: QueueQuery, t: Translator, types: Mapping[str, str]
) -> Options:
    nodes = grid_nodes(session=session, codes={c for c in (query.township, query.village) if c})
    township, village = nodes.get(query.township), nodes.get(query.village)
    return Options(
        types=sorted(((code, type_name(t, types, code)) for code in types), key=lambda pair: pair[0]),
        townships=nodes_at(session=session, level=TOWNSHIP, inside=principal.scope_path),
        villages=nodes_at(session=session, level=VILLAGE, inside=township.path) if township else [],
        cells=nodes_at(session=session, level=CELL, inside=village.path) if village else [],
    )


def build_queue(
    *,
    session: Session,
    principal: Principal,
    query: QueueQuery,
    t: Translator,
    types: Mapping[str, str],
    zone: ZoneInfo,
    now: datetime,
) -> QueueView:
    """The queue page for `query`: one page of rows in urgency order, every tab's counts, the options."""
    base = query.base_filter(zone)
    filters = tab_filter(query.tab, base)
    events, cursor = (
        ([], None)
        if filters is None
        else list_events(
            session=session,
            principal=principal,
            filters=filters,
            cursor=query.cursor or None,
            limit=PAGE_SIZE,
            now=now,
            order=Order.URGENCY,
        )
    )
    codes = {c for e in events for c in e.grid_path.split("/") if c}
    names = {code: node.name for code, node in grid_nodes(session=session, codes=codes).items()}
    fresh = unreviewed_ids(session=session, user_id=principal.user_id, events=events) if events else set()
    counts = tab_counts(session=session, principal=principal, base=base, tabs=COUNTED_TABS, now=now)
    tabs = [TabView(tab, query.href(tab=tab.value), *counts[tab]) for tab in COUNTED_TABS]
    return QueueView(
        query=query,
        rows=[_row(e, t, types, names, e.id in fresh, principal, now) for e in events],
        tabs=tabs,
        options=_options(session, principal, query, t, types),
        next_href=query.href(cursor=cursor) if cursor else None,
    )
