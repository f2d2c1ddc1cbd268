"""Detection quality from operator verdicts, per camera, rule and model, within the caller's scope."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import PrincipalDep, SessionDep
from api.schemas.errors import AUTHENTICATED
from api.services.quality import compute_quality
from api.services.quality_schema import Quality

router = APIRouter(tags=["verdicts"], responses=AUTHENTICATED)


@router.get("/v1/quality")
def get_quality(session: SessionDep, principal: PrincipalDep) -> Quality:
    """Alerts, confirmed, false alarms by reason and precision over 7/30 days per camera, rule and model,
    noisiest first; per noisy camera a threshold or mask suggestion (never applied automatically)."""
    return compute_quality(session=session, principal=principal, now=datetime.now(UTC))
