"""An edge box's configuration kept at the centre (issue 13, central configuration).

Admins (scoped to the whole tree: boxes are centre-wide) save a box's configuration with
`PUT /v1/devices/{box}/config` (a JSON or YAML body, validated with the edge's own `BoxConfig`: a
document that does not validate is refused with 422 naming each field path, never stored) and read
it back by version; the box reads its newest version with `GET /v1/devices/me/config`, an ETag
and `If-None-Match` (304 while unchanged).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.orm import Session

from api.context import ApiContext
from api.deps import CtxDep, DeviceDep, GlobalAdminDep, SessionDep
from api.errors import BadInputError, PayloadTooLargeError
from api.orm import BoxConfigVersion
from api.schemas.box_config import ConfigSaved, ConfigVersionInfo, ConfigVersionOut
from api.schemas.errors import BODY, INVALID, NOT_FOUND, ROLE_GATED, UNAUTHENTICATED
from api.schemas.paths import BoxPath, CameraPath
from api.services.box_config import get_config, list_versions, save_config
from api.services.camera_snapshots import store_snapshot
from api.services.principals import actor_of
from gridwatch.contracts.alert import MAX_SNAPSHOT_BYTES

router = APIRouter(prefix="/v1/devices", tags=["devices"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
CONFIG_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The box's configuration (edge.config.BoxConfig): cameras, mqtt, sensors, wvp",
        "content": {"application/json": {"schema": {"type": "object"}}, "application/yaml": {}},
    }
}


def etag(row: BoxConfigVersion) -> str:
    """The ETag of a version: its number and digest."""
    return f'"v{row.version}-{row.sha256[:16]}"'


def _info(row: BoxConfigVersion) -> dict[str, Any]:
    return {
        "device_id": row.device_id, "version": row.version, "sha256": row.sha256,
        "created_by": row.created_by, "created_at": row.created_at,
    }  # fmt: skip


@router.get(
    "/me/config",
    response_model=ConfigVersionOut,
    responses={**UNAUTHENTICATED, **NOT_FOUND, 304: {"description": "Unchanged since the ETag given"}},
)
def get_my_config(
    device: DeviceDep,
    session: SessionDep,
    if_none_match: Annotated[str | None, Header(description="The ETag the box holds")] = None,
) -> ConfigVersionOut | Response:
    """The calling box's newest configuration (device token); 304 when its ETag still matches."""
    row = get_config(session=session, device_id=device.device_id)
    tag = etag(row)
    if if_none_match is not None and tag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers={"ETag": tag})
    body = ConfigVersionOut(**_info(row), config=row.document)
    return Response(body.model_dump_json(), media_type="application/json", headers={"ETag": tag})


@router.put(
    "/me/cameras/{camera}/snapshot",
    status_code=204,
    responses={**UNAUTHENTICATED, **NOT_FOUND, **INVALID, 413: BODY[413]},
    openapi_extra={"requestBody": {"required": True, "content": {"image/jpeg": {}}}},
)
async def put_snapshot(
    camera: CameraPath, request: Request, device: DeviceDep, session: SessionDep
) -> Response:
    """The calling box's newest picture of one of its cameras (a JPEG body), for the zone editor."""
    jpeg = await request.body()
    if len(jpeg) > MAX_SNAPSHOT_BYTES:
        raise PayloadTooLargeError(f"the snapshot is {len(jpeg)} bytes; the limit is {MAX_SNAPSHOT_BYTES}")
    await asyncio.to_thread(_store_snapshot, session, device.device_id, camera, jpeg)
    return Response(status_code=204)


def _store_snapshot(session: Session, box: str, camera: str, jpeg: bytes) -> None:
    store_snapshot(session=session, device_id=box, camera_id=camera, jpeg=jpeg, now=datetime.now(UTC))
    session.commit()


@router.put(
    "/{box}/config",
    responses={**ROLE_GATED, **NOT_FOUND, **BODY, **INVALID},
    openapi_extra=CONFIG_BODY,
)
async def put_config(
    box: BoxPath, request: Request, ctx: CtxDep, session: SessionDep, admin: GlobalAdminDep
) -> ConfigSaved:
    """Save a new version of the box's configuration; 422 names every field that is wrong."""
    document = parse_document(await request.body(), request.headers.get("content-type", ""))
    return await asyncio.to_thread(_save, ctx, session, box, document, actor_of(admin))


def _save(ctx: ApiContext, session: Session, box: str, document: object, actor: str) -> ConfigSaved:
    saved = save_config(
        session=session, device_id=box, document=document, actor=actor, now=datetime.now(UTC),
        check=ctx.box_check,
    )  # fmt: skip
    session.commit()
    row = saved.row
    return ConfigSaved(**_info(row), config=row.document, created=saved.created, warnings=saved.warnings)


def parse_document(body: bytes, content_type: str) -> object:
    """A JSON body, or a YAML one (`application/yaml`, `text/yaml`); 400 naming what did not parse."""
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"the body is not UTF-8 text: {exc}") from None
    if media in YAML_TYPES:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise BadInputError(f"the body is not valid YAML: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadInputError(f"the body is not JSON (send YAML as application/yaml): {exc}") from None


@router.get("/{box}/config", responses={**ROLE_GATED, **NOT_FOUND})
def get_box_config(
    box: BoxPath,
    session: SessionDep,
    _admin: GlobalAdminDep,
    version: Annotated[int | None, Query(ge=1, description="A saved version; default the newest")] = None,
) -> ConfigVersionOut:
    """One version of the box's configuration (the newest by default)."""
    row = get_config(session=session, device_id=box, version=version)
    return ConfigVersionOut(**_info(row), config=row.document)


@router.get("/{box}/config/versions", responses={**ROLE_GATED, **NOT_FOUND})
def get_box_config_versions(
    box: BoxPath, session: SessionDep, _admin: GlobalAdminDep
) -> list[ConfigVersionInfo]:
    """Every saved version of the box's configuration, newest first (without the documents)."""
    return [ConfigVersionInfo(**_info(row)) for row in list_versions(session=session, device_id=box)]
