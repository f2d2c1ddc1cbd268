"""The grid tree, and GeoJSON import for admins.

The import reads its body itself, after the admin's token is checked, so an unauthenticated caller
cannot make the centre read a large upload; the body is bounded by `grid_import_max_bytes`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from api.context import ApiContext
from api.deps import CtxDep, GlobalAdminDep, PrincipalDep, SessionDep
from api.errors import BadInputError
from api.schemas.errors import AUTHENTICATED, BODY, INVALID, ROLE_GATED
from api.schemas.grids import GridImported, GridNode
from api.services.grids import grid_tree, import_grids, load_index

router = APIRouter(tags=["grids"])

IMPORT_PATH = "/v1/admin/grids/import"
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A GeoJSON FeatureCollection of grid nodes",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.get("/v1/grids", responses=AUTHENTICATED)
def get_grid_tree(session: SessionDep, principal: PrincipalDep) -> list[GridNode]:
    """The grid nodes of your subtree, nested, with workers and departments."""
    return grid_tree(session=session, scope_path=principal.scope_path)


@router.post(
    IMPORT_PATH, tags=["admin"], responses={**ROLE_GATED, **BODY, **INVALID}, openapi_extra=IMPORT_BODY
)
async def post_grid_import(
    request: Request, ctx: CtxDep, session: SessionDep, _admin: GlobalAdminDep
) -> GridImported:
    """Import or update grids; the same file twice changes nothing; a bad file is refused whole."""
    try:
        geojson = json.loads(await request.body(), parse_constant=_no_constant)
    except ValueError as exc:
        raise BadInputError(f"the body is not JSON: {exc}") from None
    return await asyncio.to_thread(_import, ctx, session, geojson)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _import(ctx: ApiContext, session: Session, geojson: Any) -> GridImported:
    result = import_grids(session=session, data=geojson)
    session.commit()
    cells = load_index(session=session, state=ctx.grids)
    return GridImported(
        created=result.created, updated=result.updated, unchanged=result.unchanged, cells=cells
    )
