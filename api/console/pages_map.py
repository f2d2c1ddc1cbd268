"""The grid map (`/map`): cells coloured by open and overdue events, drill-down, click → queue."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from api.console.deps import PageDep, mark_console, redirect
from api.console.map_view import cells_svg
from api.console.nav import NAV, NavItem
from api.deps import CtxDep
from api.errors import NotFoundError
from api.orm import Grid
from api.services.gridmap import grid_map

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])
NAV.append(NavItem("map", "/map", prefixes=("/map",)))
GZIP_OVER = 32_768
"""Map pages above this many bytes are sent gzip-compressed to browsers that accept it."""


@router.get("/map")
def map_page(request: Request, ctx: CtxDep, page: PageDep, grid: str | None = None) -> Response:
    """The map of `grid` (default: the user's area), with every cell under it."""
    assert page.login is not None
    with ctx.sessions() as session:
        principal, now = page.login.principal, datetime.now(UTC)
        view = grid_map(session=session, layers=ctx.map_layers, principal=principal, code=grid, now=now)
    response = page.render("map.html", view=view, cells=cells_svg(view, page.t))
    if len(response.body) > GZIP_OVER and "gzip" in request.headers.get("accept-encoding", ""):
        response.body = gzip.compress(bytes(response.body), compresslevel=5)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(response.body))
        response.headers["Vary"] = "Accept-Encoding"
    return response


@router.get("/map/cell/{code}")
def cell_queue(code: str, ctx: CtxDep, page: PageDep) -> Response:
    """A click on a cell: the queue filtered to that cell (its 乡 and 村 filled in too)."""
    assert page.login is not None
    with ctx.sessions() as session:
        path = session.scalar(select(Grid.path).where(Grid.code == code, Grid.level == 4))
    if path is None or not path.startswith(page.login.principal.scope_path):
        raise NotFoundError(f"cell {code!r} is not in your area")
    codes = [c for c in path.split("/") if c]
    params = {"township": codes[2], "village": codes[3], "cell": code} if len(codes) == 5 else {"cell": code}
    return redirect("/?" + urlencode(params))
