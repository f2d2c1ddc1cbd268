"""`POST /v1/alerts`: the edge boxes' way in."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from api.schemas.events import AlertAccepted
from api.security import bearer
from api.services.ingest import Accepted, IngestItem
from gridwatch.contracts.alert import Alert

router = APIRouter(tags=["alerts"])

ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing or unknown device token; nothing stored"},
    403: {"description": "Revoked token, or a token of another device; nothing stored"},
    409: {"description": "The alert id was already used for a different alert"},
    413: {"description": "Evidence snapshot over this centre's limit"},
}


@router.post("/v1/alerts", status_code=201, responses=ERRORS)
async def post_alert(
    alert: Alert,
    request: Request,
    response: Response,
    authorization: Annotated[str | None, Header(description="Bearer <edge box token>")] = None,
) -> AlertAccepted:
    """Register an alert; a retry with the same `alert_id` returns the first answer and stores nothing."""
    token = bearer(authorization)
    digest = hashlib.sha256(alert.model_dump_json().encode("utf-8")).hexdigest()
    accepted: Accepted = await request.app.state.committer.submit(IngestItem(alert, token, digest))
    ctx = request.app.state.ctx
    ctx.metrics.alerts.labels("replay" if accepted.replay else accepted.body.outcome).inc()
    if accepted.replay:
        response.headers["X-Idempotent-Replay"] = "true"
    return accepted.body
