"""The grid tree, and GeoJSON import for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from api.deps import CtxDep, GlobalAdminDep, PrincipalDep, SessionDep
from api.services.grids import grid_tree, import_grids, load_index

router = APIRouter(tags=["grids"])


@router.get("/v1/grids")
def get_grid_tree(session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """The grid nodes of your subtree, nested, with workers and departments."""
    return grid_tree(session=session, scope_path=principal.scope_path)


@router.post("/v1/admin/grids/import")
def post_grid_import(
    ctx: CtxDep,
    session: SessionDep,
    _admin: GlobalAdminDep,
    geojson: Annotated[dict[str, Any], Body(description="A GeoJSON FeatureCollection of grid nodes")],
) -> dict[str, int]:
    """Import or update grids; the same file twice changes nothing; a bad file is refused whole."""
    result = import_grids(session=session, data=geojson)
    session.commit()
    cells = load_index(session=session, state=ctx.grids)
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "cells": cells,
    }
