"""Detection quality (`/quality`): the noisiest cameras first, with suggestions for an admin."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Response

from api.console.deps import PageDep, mark_console
from api.console.nav import NAV, NavItem
from api.deps import CtxDep
from api.errors import ForbiddenError
from api.logic.roles import Role
from api.services.quality import compute_quality

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])
READERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
NAV.append(NavItem("quality", "/quality", roles=READERS))


@router.get("/quality")
def quality_page(ctx: CtxDep, page: PageDep) -> Response:
    """Per camera, rule and model: alerts, confirmed, false alarms, precision; suggestions."""
    assert page.login is not None
    if page.login.principal.role not in READERS:
        raise ForbiddenError("detection quality is for supervisors and admins")
    with ctx.sessions() as session:
        quality = compute_quality(session=session, principal=page.login.principal, now=datetime.now(UTC))
    return page.render("quality.html", quality=quality)
