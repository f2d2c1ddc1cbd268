"""The drawn shapes of one map view (a grid node): every cell under it and its children's outlines,
simplified for the view's zoom level, cached per grid revision (shapes change only on an import) in
the instance's `LayerCache`, which `api.jobs.map_warm` fills with the default views before anyone asks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import shapely
from markupsafe import escape
from shapely import unary_union
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from api.logic.geojson import CELL_LEVEL
from api.logic.mapgeom import Frame
from api.orm import Grid

CACHE_SIZE = 32


@dataclass(frozen=True, slots=True)
class Shape:
    """One drawn node: its code, name, level, SVG path data and where its label goes."""

    code: str
    name: str
    level: int
    d: str
    label: tuple[int, int]


@dataclass(frozen=True)
class Layer:
    """Cells and child outlines of one node in one frame; `child_of` maps a cell to its child node."""

    frame: Frame
    cells: list[Shape]
    children: list[Shape]
    child_of: dict[str, str]
    plain: list[str] = field(default_factory=list)
    """Each cell's SVG element without events, rendered once (the page patches the cells with events)."""

    def __post_init__(self) -> None:
        self.plain.extend(f'<path d="{c.d}" data-cell="{escape(c.code)}"/>' for c in self.cells)


@dataclass(slots=True)
class _Node:
    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    text: str | None
    """The GeoJSON geometry as stored (cells are parsed in bulk, other nodes on demand)."""

    @property
    def geom(self) -> BaseGeometry | None:
        return None if self.text is None else shapely.from_geojson(self.text)


Key = tuple[int, str]
"""(grid revision, path of the shown node)."""
Builder = Callable[[Session, str, int | None], Layer]


class LayerCache:
    """Built layers by (grid revision, path): the newest revision's only, at most `size`, least
    recently used dropped first. A key is built once at a time: whoever asks while it is being built
    (a request while the start-up warm-up builds it) waits for that build.

    Example:
        >>> layers = LayerCache()
        >>> layers.get(session=session, revision=3, path="/DXC/DX/", node_id=2)  # doctest: +SKIP
    """

    def __init__(self, size: int = CACHE_SIZE, build: Builder | None = None) -> None:
        self._size = size
        self._build = build or build_layer
        self._layers: OrderedDict[Key, Layer] = OrderedDict()
        self._building: dict[Key, Future[Layer]] = {}
        self._lock = threading.Lock()
        self.builds = 0
        """Layers built so far (not served from the cache or from another caller's build)."""

    def get(self, *, session: Session, revision: int, path: str, node_id: int | None) -> Layer:
        """The layer of the node at `path` (`node_id` None: the top of the hierarchy)."""
        key = (revision, path)
        while True:
            with self._lock:
                if (layer := self._layers.get(key)) is not None:
                    self._layers.move_to_end(key)
                    return layer
                pending = self._building.get(key)
                if pending is None:
                    pending = self._building[key] = Future()
                    break
            try:
                return pending.result()
            except Exception:  # that build failed (its caller got the error): build it here
                continue
        return self._build_once(session, key, node_id, pending)

    def _build_once(self, session: Session, key: Key, node_id: int | None, pending: Future[Layer]) -> Layer:
        try:
            layer = self._build(session, key[1], node_id)
        except BaseException as exc:
            with self._lock:
                del self._building[key]
            pending.set_exception(exc)
            raise
        with self._lock:
            del self._building[key]
            self.builds += 1
            self._keep(key, layer)
        pending.set_result(layer)
        return layer

    def _keep(self, key: Key, layer: Layer) -> None:
        """Cache `layer` unless a newer revision is cached; drop every older revision's layers."""
        if any(revision > key[0] for revision, _ in self._layers):
            return
        for old in [k for k in self._layers if k[0] < key[0]]:
            del self._layers[old]
        self._layers[key] = layer
        while len(self._layers) > self._size:
            self._layers.popitem(last=False)

    def cached(self) -> list[Key]:
        """The cached keys, least recently used first."""
        with self._lock:
            return list(self._layers)


def _load(session: Session, path: str) -> list[_Node]:
    text = cast(Grid.geometry, Text)
    query = select(Grid.id, Grid.code, Grid.name, Grid.level, Grid.parent_id, text).where(
        Grid.path.startswith(path, autoescape=True)
    )
    return [
        _Node(i, code, name, level, parent, geometry if geometry and geometry != "null" else None)
        for i, code, name, level, parent, geometry in session.execute(query.order_by(Grid.code))
    ]


def _outline(node: _Node, by_parent: dict[int | None, list[_Node]]) -> BaseGeometry | None:
    """The node's polygon, else the union of its nearest descendants that have one."""
    if node.text is not None:
        return node.geom
    found: list[_Node] = []
    level = by_parent.get(node.id, [])
    while level and not found:
        found = [n for n in level if n.text is not None]
        level = [c for n in level if n.text is None for c in by_parent.get(n.id, [])]
    return unary_union(shapely.from_geojson([n.text for n in found])) if found else None


def _shape(frame: Frame, node: _Node, geom: BaseGeometry) -> Shape:
    point = geom.representative_point()
    return Shape(node.code, node.name, node.level, frame.path(geom), frame.xy(point.x, point.y))


def build_layer(session: Session, path: str, node_id: int | None) -> Layer:
    """The layer of the node at `path` (`node_id` None: the top of the hierarchy), from the database."""
    nodes = _load(session, path)
    by_id = {n.id: n for n in nodes}
    by_parent: dict[int | None, list[_Node]] = {}
    for n in nodes:
        by_parent.setdefault(n.parent_id if n.parent_id in by_id else None, []).append(n)
    cells = [n for n in nodes if n.level == CELL_LEVEL and n.text is not None]
    geoms = shapely.from_geojson([c.text or "" for c in cells])
    bounds = shapely.total_bounds(geoms) if cells else (-180.0, -90.0, 180.0, 90.0)
    frame = Frame.fit(tuple(float(b) for b in bounds))  # type: ignore[arg-type]
    kids = [n for n in by_parent.get(node_id, []) if n.id != node_id] if node_id else by_parent.get(None, [])
    children = [
        _shape(frame, kid, outline)
        for kid in kids
        if kid.level < CELL_LEVEL and (outline := _outline(kid, by_parent)) is not None
    ]
    return Layer(
        frame=frame,
        cells=[
            Shape(c.code, c.name, c.level, d, (0, 0)) for c, d in zip(cells, frame.paths(geoms), strict=True)
        ],
        children=children,
        child_of=_child_of(cells, kids, by_id),
    )


def _child_of(cells: Sequence[_Node], kids: Sequence[_Node], by_id: dict[int, _Node]) -> dict[str, str]:
    """Cell code → code of the child (of the shown node) it lies under (itself for a cell child)."""
    kid_ids = {k.id for k in kids}
    found: dict[str, str] = {}
    for cell in cells:
        node: _Node | None = cell
        while node is not None and node.id not in kid_ids:
            node = by_id.get(node.parent_id) if node.parent_id is not None else None
        if node is not None:
            found[cell.code] = node.code
    return found
