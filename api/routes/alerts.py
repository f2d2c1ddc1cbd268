"""`POST /v1/alerts`: the edge boxes' way in.

This is the hottest route, so it reads the body itself: pydantic parses the raw JSON straight into
an `Alert` and the answer goes out as ready bytes. FastAPI's per-request dependency solving and
response serialisation cost more here than storing the alert does (`bench/api.py`). The OpenAPI
document still shows the `Alert` body and the `AlertAccepted` answer, and a bad body still gets
FastAPI's usual 422 with the fields named.

The device token is checked before a byte of the body is read (401/403 first), and the body is
bounded by `api.middleware.BodyLimit` (413), so no caller can make the centre buffer more than the
largest legitimate alert.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api.deps import get_committer, get_ctx
from api.routes.bodies import parse_body, read_by_hand
from api.schemas.errors import BODY, ErrorOut, ValidationErrorOut
from api.schemas.events import AlertAccepted
from api.security import bearer
from api.services.ingest import IngestItem, UnknownSourceError
from gridwatch.contracts.alert import Alert

router = APIRouter(tags=["alerts"])

ERRORS: dict[int | str, dict[str, Any]] = {
    201: {"model": AlertAccepted, "description": "Stored (or a retry of an alert already stored)"},
    **BODY,
    401: {"model": ErrorOut, "description": "Missing or unknown device token; nothing read or stored"},
    403: {"model": ErrorOut, "description": "Revoked token, or a token of another device; nothing stored"},
    409: {"model": ErrorOut, "description": "This device already used the alert id for a different alert"},
    413: {"model": ErrorOut, "description": "Body or evidence snapshot over this centre's limit"},
    422: {
        "model": ValidationErrorOut,
        "description": "The body is not a valid alert (the offending fields are listed), or its "
        "`source_id` is not in the posting box's inventory",
    },
}

ALERT_BODY = read_by_hand("Alert")


def document_alert_body(schema: dict[str, Any], *models: type[BaseModel]) -> None:
    """Put `Alert` (and `models`) and the models they use into an OpenAPI document's components,
    where `ALERT_BODY` points (FastAPI adds only the models of declared parameters)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    every: list[type[BaseModel]] = [Alert, *models]
    for model in every:
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        components[model.__name__] = body


def parse_alert(body: bytes) -> Alert:
    """The alert in `body`, or FastAPI's 422 with every error located under `body`."""
    return parse_body(Alert, body)


@router.post("/v1/alerts", status_code=201, responses=ERRORS, openapi_extra=ALERT_BODY)
async def post_alert(request: Request) -> Response:
    """Register an alert; a retry with the same `alert_id` returns the first answer and stores nothing."""
    ctx, token = get_ctx(request), bearer(request.headers.get("authorization"))
    await ctx.device_tokens.check(token)  # 401/403 before the body is read
    body = await request.body()
    alert = parse_alert(body)
    digest = hashlib.sha256(body).hexdigest()  # of the bytes received: no re-serialisation
    try:
        accepted = await get_committer(request).submit(IngestItem(alert, token, digest))
    except UnknownSourceError:
        ctx.metrics.alerts_refused.labels("unknown_source").inc()
        raise
    ctx.metrics.alerts.labels("replay" if accepted.replay else accepted.body.outcome).inc()
    headers = {"X-Idempotent-Replay": "true"} if accepted.replay else None
    return Response(
        accepted.body.model_dump_json(), status_code=201, media_type="application/json", headers=headers
    )
