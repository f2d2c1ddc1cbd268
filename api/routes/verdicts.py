"""Operator verdicts on alerts (why events were dismissed), for quality figures; scoped like events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CtxDep, PrincipalDep, SessionDep
from api.logic.times import filter_time
from api.logic.verdicts import VerdictKind
from api.schemas.errors import AUTHENTICATED
from api.schemas.events import VerdictPage
from api.services.verdicts import VerdictFilter, list_verdicts

router = APIRouter(prefix="/v1/verdicts", tags=["verdicts"], responses=AUTHENTICATED)


@router.get("")
def get_verdicts(
    *,
    ctx: CtxDep,
    session: SessionDep,
    principal: PrincipalDep,
    since: Annotated[
        datetime | None, Query(description="Judged at or after (ISO 8601; no zone = the centre's zone)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Judged before (ISO 8601; no zone = the centre's zone)")
    ] = None,
    source_id: Annotated[str | None, Query(max_length=64, description="Camera or sensor id")] = None,
    rule: Annotated[str | None, Query(max_length=64, description="Rule id, e.g. room-after-hours")] = None,
    model: Annotated[
        str | None, Query(max_length=64, description="Model name, e.g. yolov3-tiny-coco")
    ] = None,
    verdict: Annotated[VerdictKind | None, Query(description="Only this verdict")] = None,
    include_withdrawn: Annotated[bool, Query(description="Also verdicts of events reopened since")] = False,
    cursor: Annotated[
        str | None, Query(max_length=64, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> VerdictPage:
    """Verdicts on alerts of events in your scope, newest first, each with camera, rule, model and score."""
    zone = ctx.centre.zone
    filters = VerdictFilter(
        filter_time(since, zone),
        filter_time(until, zone),
        source_id,
        rule,
        model,
        verdict.value if verdict else None,
        include_withdrawn,
    )
    items, next_cursor = list_verdicts(
        session=session, principal=principal, filters=filters, cursor=cursor, limit=limit
    )
    return VerdictPage(items=items, next_cursor=next_cursor)
