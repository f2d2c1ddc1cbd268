"""Clips: edge boxes upload them in chunks; users play them with HTTP range requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from api.context import ApiContext
from api.deps import CtxDep, DeviceDep, PrincipalDep, SessionDep
from api.errors import BadInputError, PayloadTooLargeError
from api.logic.ranges import ByteRange, parse_range
from api.orm import ClipRow
from api.schemas.errors import (
    BODY,
    CONFLICT,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    UNAUTHENTICATED,
    ErrorOut,
    Responses,
)
from api.services.clips import (
    ClipLimits,
    OffsetMismatchError,
    clip_of,
    declare_clip,
    parse_content_range,
    put_chunk,
    utcnow,
)
from api.storage import ObjectStore
from gridwatch.contracts import ClipInfo, ClipUploadState

router = APIRouter(tags=["clips"])

UPLOAD_ERRORS: Responses = {
    **BODY,
    **UNAUTHENTICATED,
    **FORBIDDEN,
    404: {"model": ErrorOut, "description": "The alert has not arrived yet (send it first), or no upload"},
    409: {"model": ClipUploadState, "description": "Chunk does not start where the copy ends: resume there"},
    413: {"model": ErrorOut, "description": "Clip or chunk over this centre's limit"},
    422: {"description": "Bad body or Content-Range, or the whole file's sha256 did not match"},
}
CHUNK_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
PLAY_RESPONSES: Responses = {
    200: {
        "content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}},
        "description": "Whole",
    },
    206: {
        "content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}},
        "description": "A range",
    },
    416: {"description": "The range starts past the end (Content-Range: bytes */size)"},
    **UNAUTHENTICATED,
    **NOT_FOUND,
    **CONFLICT,
    **INVALID,
}


def _limits(ctx: ApiContext) -> ClipLimits:
    return ClipLimits(ctx.settings.clip_max_bytes, ctx.settings.clip_chunk_max_bytes)


@router.post("/v1/alerts/{alert_id}/clip", responses=UPLOAD_ERRORS)
def post_clip(
    alert_id: str, info: ClipInfo, ctx: CtxDep, session: SessionDep, device: DeviceDep
) -> ClipUploadState:
    """Declare (or resume) the upload of an alert's clip; the answer says how many bytes are held."""
    if info.alert_id != alert_id:
        raise BadInputError(f"body alert_id {info.alert_id!r} is not the path's {alert_id!r}")
    return declare_clip(
        session=session,
        store=ctx.evidence_store(),
        device=device,
        info=info,
        limits=_limits(ctx),
        now=utcnow(),
    )


@router.put(
    "/v1/alerts/{alert_id}/clip",
    response_model=ClipUploadState,
    responses={**UPLOAD_ERRORS, 200: {"model": ClipUploadState, "description": "What the centre holds now"}},
    openapi_extra=CHUNK_BODY,
)
async def put_clip(
    alert_id: str,
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    device: DeviceDep,
    content_range: Annotated[str | None, Header(description="bytes START-END/TOTAL")] = None,
) -> Response:
    """One chunk of the clip, starting where the centre's copy ends."""
    span = parse_content_range(content_range)
    data = await _read_limited(request, ctx.settings.clip_chunk_max_bytes)
    try:
        state = await run_in_threadpool(
            put_chunk,
            session=session,
            store=ctx.evidence_store(),
            device=device,
            alert_id=alert_id,
            span=span,
            data=data,
            limits=_limits(ctx),
            now=utcnow(),
        )
    except OffsetMismatchError as exc:
        return JSONResponse(exc.state.model_dump(), status_code=409)
    return Response(state.model_dump_json(), media_type="application/json")


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes (declared or actual)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"chunk of {declared} bytes; at most {limit} per request")
    body = bytearray()
    async for block in request.stream():
        body += block
        if len(body) > limit:
            raise PayloadTooLargeError(f"chunk over {limit} bytes; at most {limit} per request")
    return bytes(body)


@router.get(
    "/v1/events/{code}/alerts/{alert_id}/clip",
    response_class=Response,
    responses=PLAY_RESPONSES,
)
def get_clip(
    code: str,
    alert_id: str,
    ctx: CtxDep,
    session: SessionDep,
    principal: PrincipalDep,
    device_id: Annotated[
        str | None, Query(max_length=64, description="The sending device (alert ids are unique per device)")
    ] = None,
    range_header: Annotated[str | None, Header(alias="range", description="bytes=START-END")] = None,
    if_range: Annotated[
        str | None, Header(description="Serve the range only if the ETag still matches")
    ] = None,
) -> Response:
    """The MP4 clip of one alert; a `Range` request gets 206 with just those bytes (browsers seek so)."""
    clip = clip_of(session=session, principal=principal, code=code, alert_id=alert_id, device_id=device_id)
    return clip_response(ctx.evidence_store(), clip, range_header=range_header, if_range=if_range)


def clip_response(
    store: ObjectStore, clip: ClipRow, *, range_header: str | None, if_range: str | None
) -> Response:
    """A clip as an HTTP answer: 206 for one satisfiable range, 416 past the end, else 200 whole.

    The console's event page serves clips through this too (its own route, its session's principal).
    """
    etag = f'"{clip.sha256}"'
    wanted = parse_range(range_header, clip.size) if if_range in (None, etag) else None
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": "private, max-age=3600"}
    if isinstance(wanted, ByteRange):
        headers["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{clip.size}"
        headers["Content-Length"] = str(wanted.end - wanted.start + 1)
        body = store.read(clip.storage_key, wanted.start, wanted.end)
        return StreamingResponse(body, status_code=206, media_type=clip.content_type, headers=headers)
    if wanted == "unsatisfiable":
        return Response(status_code=416, headers={"Content-Range": f"bytes */{clip.size}"})
    headers["Content-Length"] = str(clip.size)
    return StreamingResponse(store.read(clip.storage_key), media_type=clip.content_type, headers=headers)
