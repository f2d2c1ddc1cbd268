"""Evidence clips at the edge: pre-roll per camera, a clip per alert, durable chunked delivery.

`EdgeClips` is what the edge worker holds: the clip queue (in the outbox's database), the finisher
thread, the sender thread and one recorder per camera.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from edge.clips.jobs import ClipFinisher
from edge.clips.media import PLAYABLE_CODECS
from edge.clips.queue import ClipQueue, ClipState
from edge.clips.recorder import CameraRecorder, FrameRecorder, PacketRecorder
from edge.clips.sender import ClipSender
from edge.clips.tap import probe_codec
from edge.config import ApiConfig, BufferKind, ClipsConfig
from edge.supervisor import Supervisor
from ingest.config import is_stream_url

logger = logging.getLogger(__name__)

__all__ = ["CameraSpec", "ClipQueue", "ClipState", "EdgeClips"]


class CameraSpec:
    """What the clips need to know of a camera."""

    def __init__(
        self,
        camera_id: str,
        url: str | None,
        *,
        detect_fps: float,
        open_timeout_s: float,
        read_timeout_s: float,
        live: bool | None = None,
    ) -> None:
        self.id = camera_id
        self.url = url
        """None when the stream's address is only known at play time (a GB/T 28181 camera through wvp)."""
        self.detect_fps = detect_fps
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.live = (url is None or is_stream_url(url)) if live is None else live


class EdgeClips:
    """Clips of all cameras of one box.

    Example:
        >>> clips = EdgeClips(config.clips, api=config.api, data_dir=config.data_dir, cameras=specs)
        >>> clips.start(); recorder = clips.recorders["cam-1"]; ...; clips.stop()
    """

    def __init__(
        self,
        config: ClipsConfig,
        *,
        api: ApiConfig,
        data_dir: Path,
        cameras: list[CameraSpec],
        supervisor: Supervisor | None = None,
    ) -> None:
        self.config = config
        self.folder = data_dir / "clips"
        self.queue = ClipQueue(data_dir / "outbox.db")
        self.supervisor = supervisor
        pending = int(config.max_pending_mb * 1024 * 1024)
        self.finisher = ClipFinisher(self.queue, max_pending_bytes=pending, supervisor=supervisor)
        self.sender = ClipSender(
            self.queue,
            api,
            chunk_bytes=config.chunk_kb * 1024,
            keep_sent_s=config.keep_sent_s,
            supervisor=supervisor,
        )
        kinds = _buffer_kinds(config.buffer, cameras)
        self.recorders: dict[str, CameraRecorder] = {
            camera.id: self._recorder(camera, kinds[camera.id]) for camera in cameras
        }

    def start(self) -> None:
        """Finish clips a killed run left behind, then start finishing and sending."""
        self.finisher.start()
        self.sender.start()
        for recorder in self.recorders.values():
            recorder.start()

    def stop(self, *, drain_timeout_s: float) -> None:
        """End open clips (files: with their post-roll; live: cut short), finish them, send for a while."""
        for recorder in self.recorders.values():
            recorder.stop_reading()
        for camera_id, recorder in self.recorders.items():
            try:
                recorder.close(truncated=recorder.live)
            except Exception:
                logger.exception("camera %s: closing its clips failed", camera_id)
        self.finisher.stop()
        self.sender.notify()
        self._drain(drain_timeout_s)
        self.sender.stop()
        self.queue.close()

    def add_camera(self, camera: CameraSpec) -> None:
        """A camera added while running: its recorder, started."""
        recorder = self._recorder(camera, _buffer_kinds(self.config.buffer, [camera])[camera.id])
        self.recorders[camera.id] = recorder
        recorder.start()

    def remove_camera(self, camera_id: str) -> None:
        """A camera stopped while running: its open clips end (cut short) and its recorder goes."""
        recorder = self.recorders.pop(camera_id, None)
        if recorder is None:
            return
        recorder.stop_reading()
        try:
            recorder.close(truncated=True)
        except Exception:
            logger.exception("camera %s: closing its clips failed", camera_id)
        if self.supervisor is not None:
            self.supervisor.forget(f"clip-tap-{camera_id}")

    def health(self) -> dict[str, Any]:
        """Clip counts per state, pre-roll memory per camera and sender counters (for /healthz)."""
        return {
            "states": self.queue.counts(),
            "buffers": {
                cid: {"kind": r.buffer, "bytes": r.buffered_bytes} for cid, r in self.recorders.items()
            },
            "sent": self.sender.stats.sent,
            "retried": self.sender.stats.retried,
            "refused": self.sender.stats.refused,
            "dropped": self.finisher.dropped,
        }

    def _drain(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.queue.counts()[ClipState.READY.value] and time.monotonic() < deadline:
            self.sender.notify()
            time.sleep(0.2)

    def _recorder(self, camera: CameraSpec, kind: BufferKind) -> CameraRecorder:
        common: dict[str, Any] = {
            "live": camera.live,
            "clips": self.queue,
            "finisher": self.finisher,
            "folder": self.folder / camera.id,
        }
        if kind is BufferKind.PACKETS and camera.url is not None:
            return PacketRecorder(
                camera.id,
                self.config,
                url=camera.url,
                open_timeout_s=camera.open_timeout_s,
                read_timeout_s=camera.read_timeout_s,
                supervisor=self.supervisor,
                **common,
            )
        return FrameRecorder(camera.id, self.config, fps=camera.detect_fps, **common)


def _buffer_kinds(kind: BufferKind, cameras: list[CameraSpec]) -> dict[str, BufferKind]:
    """`auto`: packets for an H.264 source, frames for anything else or a source that can't be probed."""
    fixed = {camera.id: BufferKind.FRAMES for camera in cameras if camera.url is None}  # no address to tap
    if kind is not BufferKind.AUTO:
        return {camera.id: kind for camera in cameras} | fixed
    cameras = [camera for camera in cameras if camera.url is not None]
    if not cameras:
        return fixed
    with ThreadPoolExecutor(max_workers=min(8, len(cameras))) as pool:
        codecs = list(
            pool.map(
                lambda c: probe_codec(c.url or "", live=c.live, open_timeout_s=c.open_timeout_s), cameras
            )
        )
    kinds = dict(fixed)
    for camera, codec in zip(cameras, codecs, strict=True):
        kinds[camera.id] = BufferKind.PACKETS if codec in PLAYABLE_CODECS else BufferKind.FRAMES
        logger.info(
            "camera %s: codec %s, clips from %s", camera.id, codec or "unknown", kinds[camera.id].value
        )
    return kinds
