"""The newest snapshot of each camera of a box: uploaded by the box, shown under the zone editor.

Only cameras of the box's newest configuration at the centre are taken; a body that is not a JPEG
picture is refused naming the problem. One picture is kept per camera (the newest replaces it).
"""

from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import BadInputError, NotFoundError
from api.orm import CameraSnapshot
from api.services.box_config import get_config, newest_version


def picture_size(jpeg: bytes) -> tuple[int, int]:
    """Width and height of a JPEG picture; BadInputError when it is not one."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise BadInputError("the body is not a JPEG picture (no SOI marker)")
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise BadInputError("the body is a JPEG that cannot be decoded")
    height, width = image.shape[:2]
    return int(width), int(height)


def store_snapshot(
    *, session: Session, device_id: str, camera_id: str, jpeg: bytes, now: datetime
) -> CameraSnapshot:
    """Keep `jpeg` as the camera's newest picture (flushed, not committed)."""
    config = newest_version(session=session, device_id=device_id)
    cameras = [] if config is None else [c.get("id") for c in config.document.get("cameras", [])]
    if camera_id not in cameras:
        raise NotFoundError(f"camera {camera_id!r} is not in box {device_id!r}'s configuration at the centre")
    width, height = picture_size(jpeg)
    row = session.scalar(
        select(CameraSnapshot).where(
            CameraSnapshot.device_id == device_id, CameraSnapshot.camera_id == camera_id
        )
    )
    if row is None:
        row = CameraSnapshot(device_id=device_id, camera_id=camera_id)
        session.add(row)
    row.jpeg, row.width, row.height, row.taken_at = jpeg, width, height, now
    session.flush()
    return row


def camera_snapshot(*, session: Session, device_id: str, camera_id: str) -> CameraSnapshot | None:
    """The camera's newest picture, or None before its box sent one (NotFoundError: no such box)."""
    get_config(session=session, device_id=device_id)
    return session.scalar(
        select(CameraSnapshot).where(
            CameraSnapshot.device_id == device_id, CameraSnapshot.camera_id == camera_id
        )
    )
