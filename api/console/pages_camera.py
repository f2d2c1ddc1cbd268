"""The camera page (`/devices/{box}/cameras/{camera}`): the newest picture with the zones and lines
drawn over it, and for admins an editor that saves them with their rules as a new configuration
version of the box, which the box picks up at its next poll."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request, Response

from api.console.camera_view import CameraView, build_camera, camera_entry, may_edit
from api.console.deps import CsrfLoginDep, PageDep, make_page, mark_console, redirect
from api.console.templating import Page
from api.context import ApiContext
from api.deps import CtxDep
from api.errors import BadInputError, ConflictError, ForbiddenError
from api.services.box_config import ConfigRejectedError, get_config, save_config
from api.services.camera_snapshots import camera_snapshot

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])

PAGE = "/devices/{box}/cameras/{camera}"


def _view(ctx: ApiContext, page: Page, box: str, camera: str) -> CameraView:
    assert page.login is not None
    with ctx.sessions() as session:
        return build_camera(
            session=session, grids=ctx.grids, principal=page.login.principal, box=box, camera_id=camera
        )


@router.get(PAGE)
def camera_page(box: str, camera: str, ctx: CtxDep, page: PageDep, saved: int = 0) -> Response:
    """The camera, its picture, zones, lines and rules (an editor for admins)."""
    view = _view(ctx, page, box, camera)
    return page.render("camera.html", view=view, saved=saved, problem=None, rules_json=view.rules_json)


@router.get(PAGE + "/picture")
def picture(box: str, camera: str, ctx: CtxDep, page: PageDep) -> Response:
    """The camera's newest picture (JPEG) as its box sent it; 404 before the first one."""
    _view(ctx, page, box, camera)  # scoping
    with ctx.sessions() as session:
        found = camera_snapshot(session=session, device_id=box, camera_id=camera)
    if found is None:
        return Response(status_code=404)
    return Response(found.jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, no-cache"})


@router.post(PAGE + "/rules")
async def save_rules(box: str, camera: str, request: Request, ctx: CtxDep, login: CsrfLoginDep) -> Response:
    """Save the editor's zones, lines and rules as the box's next configuration version."""
    if not may_edit(login.principal):
        raise ForbiddenError("only an admin of the whole grid tree may change a box's configuration")
    form = await request.form()
    page = make_page(request, ctx, login)
    try:
        rules = json.loads(str(form.get("rules", "")))
        base = int(str(form.get("base_version", "0")))
    except ValueError as exc:
        raise BadInputError(f"the editor sent a form that does not parse: {exc}") from None
    try:
        version = _save(ctx, box, camera, rules, base, actor=f"console:{login.principal.username}")
    except ConfigRejectedError as exc:
        view = _view(ctx, page, box, camera)
        draft = json.dumps(rules, ensure_ascii=False)
        return page.render("camera.html", status=422, view=view, saved=0, problem=str(exc), rules_json=draft)
    return redirect(f"/devices/{box}/cameras/{camera}?saved={version}")


def _save(ctx: ApiContext, box: str, camera: str, rules: object, base: int, *, actor: str) -> int:
    with ctx.sessions() as session:
        row = get_config(session=session, device_id=box)
        if row.version != base:
            began = f"version {row.version}, the editor began on {base}"
            raise ConflictError(f"the configuration changed meanwhile ({began}): reload the page")
        index, _entry = camera_entry(row, camera)
        document = json.loads(json.dumps(row.document))  # a deep copy: the stored row stays as it was
        document["cameras"][index]["rules"] = rules
        saved = save_config(
            session=session, device_id=box, document=document, actor=actor, now=datetime.now(UTC),
            check=ctx.box_check,
        )  # fmt: skip
        session.commit()
        return saved.row.version
