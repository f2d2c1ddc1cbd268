"""Dashboard statistics within the caller's scope."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import PrincipalDep, SessionDep
from api.schemas.errors import AUTHENTICATED
from api.services.stats import Stats, compute_stats

router = APIRouter(tags=["stats"], responses=AUTHENTICATED)


@router.get("/v1/stats")
def get_stats(session: SessionDep, principal: PrincipalDep) -> Stats:
    """Counts by status, type and cell; SLA compliance; median time to acknowledge."""
    return compute_stats(session=session, principal=principal, now=datetime.now(UTC))
