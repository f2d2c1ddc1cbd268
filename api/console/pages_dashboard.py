"""The wall dashboard (`/dashboard`): the scope's numbers, refreshed in place by console.js."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Response

from api.console.dashboard_view import build_dashboard
from api.console.deps import PageDep, mark_console
from api.console.nav import NAV, NavItem
from api.deps import CtxDep
from api.services.stats import compute_stats

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])
NAV.append(NavItem("dashboard", "/dashboard"))


@router.get("/dashboard")
def dashboard_page(ctx: CtxDep, page: PageDep) -> Response:
    """The dashboard (scripts fetch the same URL to refresh its numbers)."""
    assert page.login is not None
    with ctx.sessions() as session:
        stats = compute_stats(
            session=session, principal=page.login.principal, now=datetime.now(UTC), zone=ctx.centre.zone
        )
    names = {code: et.name for code, et in ctx.centre.event_types.items()}
    return page.render("dashboard.html", view=build_dashboard(stats, page.t, names))
