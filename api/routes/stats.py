"""Dashboard statistics within the caller's scope."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import CtxDep, PrincipalDep, SessionDep
from api.schemas.errors import AUTHENTICATED
from api.services.stats import Stats, compute_stats

router = APIRouter(tags=["stats"], responses=AUTHENTICATED)


@router.get("/v1/stats")
def get_stats(session: SessionDep, principal: PrincipalDep, ctx: CtxDep) -> Stats:
    """Counts by status, type, cell, township and worker; overdue; SLA met shares; median times to
    acknowledge and resolve; 7- and 30-day trends (local days); satisfaction from closing ratings."""
    return compute_stats(session=session, principal=principal, now=datetime.now(UTC), zone=ctx.centre.zone)
