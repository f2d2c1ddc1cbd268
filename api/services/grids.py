"""Grid import (idempotent upsert by code), the in-memory cell index, and the grid tree."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.logic.geojson import CELL_LEVEL, GridSpec, parse_feature_collection
from api.logic.gridindex import GridIndex
from api.logic.gridstate import GridState
from api.orm import Grid, Revision
from api.schemas.grids import GridNode

logger = logging.getLogger(__name__)

GRIDS = "grids"


@dataclass(frozen=True)
class ImportResult:
    """What an import changed."""

    created: int
    updated: int
    unchanged: int


def _fields(spec: GridSpec, parent: Grid | None) -> dict[str, Any]:
    return {
        "name": spec.name,
        "level": spec.level,
        "parent_id": parent.id if parent else None,
        "path": f"{parent.path if parent else '/'}{spec.code}/",
        "geometry": spec.geometry,
        "workers": spec.workers,
        "departments": spec.departments,
    }


def _upsert(session: Session, spec: GridSpec, stored: dict[str, Grid]) -> str:
    parent = stored[spec.parent] if spec.parent else None
    wanted = _fields(spec, parent)
    row = stored.get(spec.code)
    if row is None:
        row = Grid(code=spec.code, **wanted)
        session.add(row)
        session.flush()
        stored[spec.code] = row
        return "created"
    if all(getattr(row, key) == value for key, value in wanted.items()):
        return "unchanged"
    for key, value in wanted.items():
        setattr(row, key, value)
    return "updated"


def import_grids(*, session: Session, data: Any) -> ImportResult:
    """Check the whole FeatureCollection first, then upsert every node; re-import changes nothing."""
    stored = {g.code: g for g in session.scalars(select(Grid))}
    specs = parse_feature_collection(data, known_levels={c: g.level for c, g in stored.items()})
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for spec in specs:
        counts[_upsert(session, spec, stored)] += 1
    session.flush()
    if counts["created"] or counts["updated"]:
        bump_revision(session=session)
    logger.info("grid import: %s", counts)
    return ImportResult(**counts)


def bump_revision(*, session: Session) -> int:
    """Tell every API instance that the grids changed (they reload their index when they see it)."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = (
        insert(Revision)
        .values(name=GRIDS, value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": Revision.value + 1})
        .returning(Revision.value)
    )
    return int(session.execute(stmt).scalar_one())


def grid_revision(*, session: Session) -> int:
    """The current grid revision (0 before the first import)."""
    return session.scalar(select(Revision.value).where(Revision.name == GRIDS)) or 0


def load_index(*, session: Session, state: GridState) -> int:
    """Rebuild the in-memory cell index from the stored 网格 cells; returns the cell count."""
    revision = grid_revision(session=session)
    cells = session.scalars(select(Grid).where(Grid.level == CELL_LEVEL).order_by(Grid.code)).all()
    codes = [c.code for c in cells]
    index = GridIndex(codes, [shape(c.geometry or {}) for c in cells])
    state.replace(index, {c.code: c.path for c in cells}, revision)
    return len(codes)


def path_of(*, session: Session, code: str) -> str | None:
    """The grid path of a node, or None when there is no such node."""
    return session.scalar(select(Grid.path).where(Grid.code == code))


def _node(grid: Grid) -> GridNode:
    return GridNode(
        code=grid.code,
        name=grid.name,
        level=grid.level,
        path=grid.path,
        workers=grid.workers,
        departments=grid.departments,
        children=[],
    )


def grid_tree(*, session: Session, scope_path: str) -> list[GridNode]:
    """The nodes inside `scope_path`, nested; roots are the topmost visible nodes."""
    rows = session.scalars(
        select(Grid).where(Grid.path.startswith(scope_path, autoescape=True)).order_by(Grid.level, Grid.code)
    ).all()
    nodes = {g.id: _node(g) for g in rows}
    roots: list[GridNode] = []
    for grid in rows:
        parent = nodes.get(grid.parent_id) if grid.parent_id is not None else None
        (parent.children if parent else roots).append(nodes[grid.id])
    return roots


def grid_nodes(*, session: Session, codes: set[str]) -> dict[str, Grid]:
    """The grid nodes with these codes, by code (unknown codes are left out)."""
    if not codes:
        return {}
    return {g.code: g for g in session.scalars(select(Grid).where(Grid.code.in_(codes)))}


def nodes_at(*, session: Session, level: int, inside: str) -> list[Grid]:
    """Grid nodes of one level (2 乡, 3 村, 4 网格) inside the subtree path `inside`, by code."""
    query = select(Grid).where(Grid.level == level, Grid.path.startswith(inside, autoescape=True))
    return list(session.scalars(query.order_by(Grid.code)))
