"""The grid map of a scope: which node is shown, its cached shapes, open/overdue events per cell (SQL
GROUP BY over the scope) and the camera/sensor markers.

Markers come from one function, `map_markers`: boxes with a registered lon/lat under the shown node and
in the user's scope (the devices page's rule, `inventory.visible`), and the sources seen in the user's
alerts, drawn at their registered location (the fleet inventory) where they have one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from api.errors import NotFoundError
from api.logic.geojson import CELL_LEVEL
from api.logic.lifecycle import OPEN_STATUSES
from api.logic.mapgeom import Frame
from api.orm import AlertRow, Device, Event, Grid, User
from api.services.events import overdue_clause, scoped
from api.services.gridmap_layer import Layer, LayerCache
from api.services.grids import grid_revision
from api.services.inventory import visible
from api.services.principals import Principal


@dataclass(frozen=True)
class Load:
    """Open events and, of them, overdue ones."""

    open: int = 0
    overdue: int = 0

    @property
    def state(self) -> str:
        """`overdue`, `open` or `none`: the colour of a cell."""
        return "overdue" if self.overdue else "open" if self.open else "none"


@dataclass(frozen=True)
class Marker:
    """A camera or sensor on the map; `state` is `alerting` (open events), `quiet` or `revoked`."""

    device_id: str
    source_id: str
    state: str
    x: int
    y: int


@dataclass(frozen=True)
class GridMap:
    """One map view: the node, the way up to it, the shapes, the loads and the markers."""

    code: str | None
    name: str | None
    level: int | None
    trail: list[tuple[str, str]]
    layer: Layer
    cells: dict[str, Load]
    children: dict[str, Load]
    markers: list[Marker] = field(default_factory=list)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def pick_node(*, session: Session, principal: Principal, code: str | None) -> Grid | None:
    """The node to show: `code` (404 outside the scope) or, without one, the scope's default node."""
    if code:
        node = session.scalar(select(Grid).where(Grid.code == code))
        if node is None or not node.path.startswith(principal.scope_path):
            raise NotFoundError(f"grid {code!r} is not in your area")
        return node
    return default_node(session=session, scope_path=principal.scope_path)


def default_node(*, session: Session, scope_path: str) -> Grid | None:
    """The node a scope's map opens on: the scope's node, descended while it has a single child above
    the cells (the city of one county opens on that county); None: the top of the hierarchy."""
    node = session.scalar(select(Grid).where(Grid.path == scope_path))
    while True:
        below = session.scalars(
            select(Grid).where(Grid.parent_id == (node.id if node else None)).limit(2)
        ).all()
        if len(below) != 1 or below[0].level >= CELL_LEVEL:
            return node
        node = below[0]


def cell_loads(*, session: Session, principal: Principal, path: str, now: datetime) -> dict[str, Load]:
    """Open and overdue events per cell under `path`, within the scope (one GROUP BY)."""
    query = (
        scoped(principal)
        .with_only_columns(Event.cell_code, func.count(), _count(overdue_clause(now)))
        .where(Event.status.in_(OPEN_STATUSES), Event.grid_path.startswith(path, autoescape=True))
        .where(Event.cell_code.is_not(None))
        .group_by(Event.cell_code)
    )
    return {str(code): Load(int(n), int(late or 0)) for code, n, late in session.execute(query)}


def map_markers(*, session: Session, principal: Principal, path: str, frame: Frame) -> list[Marker]:
    """Cameras and sensors under `path`: registered devices with a location in the principal's scope,
    and alert sources (of scoped events)."""
    events = scoped(principal).where(Event.grid_path.startswith(path, autoescape=True)).subquery()
    is_open = events.c.status.in_(OPEN_STATUSES)
    query = (
        select(AlertRow.device_id, AlertRow.source_id, func.avg(AlertRow.lon), func.avg(AlertRow.lat),
               _count(is_open))
        .join(events, events.c.id == AlertRow.event_id)
        .group_by(AlertRow.device_id, AlertRow.source_id)
    )  # fmt: skip
    found = {
        (d, s): Marker(d, s, "alerting" if busy else "quiet", *frame.xy(float(lon), float(lat)))
        for d, s, lon, lat, busy in session.execute(query)
    }
    for device in session.scalars(_located_devices(principal, path)):
        x, y = frame.xy(float(device.lon or 0), float(device.lat or 0))
        box = device.parent_device_id
        key = (box, device.device_id) if box else (device.device_id, "")
        if not (0 <= x <= frame.width and 0 <= y <= frame.height):
            continue
        if key in found:  # a registered source: shown where it is registered, not where alerts said
            found[key] = Marker(key[0], key[1], found[key].state, x, y)
        elif not box:
            state = "revoked" if device.revoked_at else "quiet"
            found[key] = Marker(device.device_id, "", state, x, y)
    return sorted(found.values(), key=lambda m: (m.device_id, m.source_id))


def _located_devices(principal: Principal, path: str) -> Select[Device]:
    """Devices with a lon/lat that the principal may see (the devices page's rule) and that lie under
    `path`; a device outside every cell only for a global scope, which the devices page shows it to."""
    under = or_(Device.grid_path.startswith(path, autoescape=True), Device.grid_path.is_(None))
    return select(Device).where(Device.lon.is_not(None), Device.lat.is_not(None), visible(principal), under)


def _trail(session: Session, node: Grid | None, scope_path: str) -> list[tuple[str, str]]:
    if node is None:
        return []
    codes = [c for c in node.path.split("/") if c]
    rows = session.execute(select(Grid.code, Grid.name, Grid.path).where(Grid.code.in_(codes))).all()
    found = {code: name for code, name, path in rows if path.startswith(scope_path)}
    return [(c, found[c]) for c in codes if c in found]


def grid_map(
    *, session: Session, layers: LayerCache, principal: Principal, code: str | None, now: datetime
) -> GridMap:
    """The map view of `code` (or the default node) for `principal`; shapes from `layers`."""
    node = pick_node(session=session, principal=principal, code=code)
    path = node.path if node else principal.scope_path
    revision = grid_revision(session=session)
    layer = layers.get(session=session, revision=revision, path=path, node_id=node.id if node else None)
    cells = cell_loads(session=session, principal=principal, path=path, now=now)
    children: dict[str, list[int]] = {}
    for cell, load in cells.items():
        kid = layer.child_of.get(cell)
        if kid is not None:
            acc = children.setdefault(kid, [0, 0])
            acc[0], acc[1] = acc[0] + load.open, acc[1] + load.overdue
    return GridMap(
        code=node.code if node else None,
        name=node.name if node else None,
        level=node.level if node else None,
        trail=_trail(session, node, principal.scope_path),
        layer=layer,
        cells=cells,
        children={k: Load(o, d) for k, (o, d) in children.items()},
        markers=map_markers(session=session, principal=principal, path=path, frame=layer.frame),
    )


def warm_layers(*, session: Session, layers: LayerCache, scopes: int) -> list[str]:
    """Build, unless cached, the layers of the default views of the whole hierarchy and of the widest
    users' scopes, `scopes` views in all; returns the paths of the views now cached."""
    if scopes <= 0:
        return []
    revision = grid_revision(session=session)
    held = (
        select(User.scope_path)
        .where(User.disabled_at.is_(None), User.scope_path != "/")
        .group_by(User.scope_path)
        .order_by(func.length(User.scope_path), User.scope_path)
        .limit(scopes - 1)
    )
    shown: list[str] = []
    for scope in ["/", *session.scalars(held)]:
        node = default_node(session=session, scope_path=scope)
        path = node.path if node else scope
        if path not in shown:
            layers.get(session=session, revision=revision, path=path, node_id=node.id if node else None)
            shown.append(path)
    return shown
