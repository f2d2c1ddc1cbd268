"""Each camera's picture for the centre's zone editor: one JPEG when the camera starts, then one
every `every_s`, sent to `PUT /v1/devices/me/cameras/{camera}/snapshot` (centre mode only).

The camera thread only offers a frame when one is due (a copy into a small queue, never waiting);
the sending thread encodes and sends it. A picture that cannot be sent is logged and dropped, and
the camera's next one is due sooner (`RETRY_S`): pictures are a convenience, never queued up.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import cv2
import httpx
import numpy as np
from numpy.typing import NDArray

from edge.config import ApiConfig

logger = logging.getLogger(__name__)

RETRY_S = 30.0
JPEG_QUALITY = 85


class SnapshotSender:
    """Send cameras' pictures to the centre; see the module docstring."""

    def __init__(self, api: ApiConfig, *, every_s: float) -> None:
        self.api = api
        self.every_s = every_s
        self.sent = 0
        self.failed = 0
        self._due: dict[str, float] = {}
        self._queue: queue.Queue[tuple[str, NDArray[np.uint8]]] = queue.Queue(maxsize=4)

    def offer(self, camera_id: str, image: NDArray[np.uint8]) -> None:
        """Called by the camera's thread for every frame; copies the frame when a picture is due."""
        now = time.monotonic()
        if now < self._due.get(camera_id, 0.0):
            return
        self._due[camera_id] = now + self.every_s
        try:
            self._queue.put_nowait((camera_id, image.copy()))
        except queue.Full:
            self._due[camera_id] = now + RETRY_S

    def restart(self, camera_id: str) -> None:
        """The camera (re)started: its next frame is sent."""
        self._due.pop(camera_id, None)

    def run(self, stop: threading.Event) -> None:
        """Send what the cameras offer until `stop` is set."""
        while not stop.is_set():
            try:
                camera_id, image = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            self._send(camera_id, image)

    def _send(self, camera_id: str, image: NDArray[np.uint8]) -> None:
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        url = f"{self.api.url.rstrip('/')}/v1/devices/me/cameras/{camera_id}/snapshot"
        headers = {"Authorization": f"Bearer {self.api.token}", "Content-Type": "image/jpeg"}
        try:
            if not ok:
                raise ValueError("JPEG encoding failed")
            reply = httpx.put(url, content=jpeg.tobytes(), headers=headers, timeout=self.api.timeout_s)
            reply.raise_for_status()
        except (httpx.HTTPError, ValueError) as exc:
            self.failed += 1
            self._due[camera_id] = time.monotonic() + min(RETRY_S, self.every_s)
            logger.warning("camera %s: snapshot not sent to the centre: %s", camera_id, exc)
            return
        self.sent += 1
        logger.debug("camera %s: snapshot sent", camera_id)
