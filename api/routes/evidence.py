"""Evidence of an event as a whole: legal hold, and the case export zip."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import FileResponse

from api.deps import CtxDep, PrincipalDep, SessionDep
from api.schemas.errors import AUTHENTICATED, BODY, FORBIDDEN, INVALID, NOT_FOUND
from api.schemas.events import EventOut
from api.schemas.evidence import LegalHoldIn
from api.services.clips import utcnow
from api.services.evidence import export_event, set_legal_hold, temp_folder

router = APIRouter(prefix="/v1/events", tags=["evidence"], responses=AUTHENTICATED)


@router.post("/{code}/legal-hold", responses={**BODY, **FORBIDDEN, **NOT_FOUND, **INVALID})
def post_legal_hold(code: str, body: LegalHoldIn, session: SessionDep, principal: PrincipalDep) -> EventOut:
    """Set or lift the legal hold; retention never deletes evidence of a held event."""
    event = set_legal_hold(
        session=session, principal=principal, code=code, hold=body.hold, note=body.note, now=utcnow()
    )
    session.commit()
    return EventOut.model_validate(event)


@router.get(
    "/{code}/export",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
        **NOT_FOUND,
        **INVALID,
    },
)
def get_export(
    code: str, ctx: CtxDep, session: SessionDep, principal: PrincipalDep, background: BackgroundTasks
) -> FileResponse:
    """All evidence of one event (event and history, snapshots, clips, deletions) in one zip whose
    `manifest.json` lists every file's sha256; `gridwatch api verify-export FILE` checks it."""
    folder = temp_folder()
    try:
        path = export_event(
            session=session,
            store=ctx.evidence_store(),
            principal=principal,
            code=code,
            now=utcnow(),
            folder=Path(folder.name),
        )
        session.commit()
    except BaseException:
        folder.cleanup()
        raise
    background.add_task(folder.cleanup)
    return FileResponse(path, media_type="application/zip", filename=path.name)
