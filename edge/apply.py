"""Apply a new configuration to a running `EdgeWorker`, touching only the cameras that changed.

`edge.reconfigure.plan` says what changed; here removed and restarted cameras are stopped (their
thread released and joined, the source closed), cameras changed only in zones, lines, rules, name
or location get them in place, new and restarted cameras are built and started, and the sensor
worker is rebuilt when its sensors or broker changed. A camera that cannot be started (its model
cannot load, say) is logged and the others go on. Called by the worker's run loop only, so the
worker's tables change on one thread.
"""

from __future__ import annotations

import functools
import logging
from typing import Protocol

from edge.clips import CameraSpec, EdgeClips
from edge.config import CameraConfig, EdgeConfig
from edge.monitor import OfflineMonitor
from edge.pipeline import CameraPipeline
from edge.reconfigure import plan
from edge.snapshots import SnapshotSender
from edge.supervisor import Supervisor
from ingest import VideoSource

logger = logging.getLogger(__name__)


class RunningBox(Protocol):
    """What applying a configuration needs of the edge worker (`edge.worker.EdgeWorker`)."""

    config: EdgeConfig
    supervisor: Supervisor
    sources: dict[str, VideoSource]
    pipelines: dict[str, CameraPipeline]
    monitors: dict[str, OfflineMonitor]
    clips: EdgeClips | None
    snapshots: SnapshotSender | None

    def build_camera(self, camera: CameraConfig) -> None:
        """Build the camera's source, pipeline and monitor (not started)."""

    def camera_loop(self, camera_id: str) -> None:
        """The body of a camera's thread."""

    def replace_wvp(self) -> None:
        """A new wvp client for the current configuration."""

    def replace_sensors(self) -> None:
        """A new sensor worker for the current configuration, started."""


def camera_thread(camera_id: str) -> str:
    """The name of a camera's supervised thread."""
    return f"camera-{camera_id}"


def apply_config(worker: RunningBox, config: EdgeConfig) -> None:
    """Bring `worker` from its configuration to `config`; see the module docstring."""
    change = plan(worker.config, config)
    for camera_id in [*change.removed, *(camera.id for camera in change.restarted)]:
        stop_camera(worker, camera_id)
    worker.config = config
    if change.wvp:
        worker.replace_wvp()
    for camera in change.updated:
        worker.pipelines[camera.id].update(camera)
        if camera.id in worker.monitors:
            worker.monitors[camera.id].camera = camera
    for camera in [*change.added, *change.restarted]:
        try:
            start_camera(worker, camera)
        except Exception:  # one camera that cannot start must not keep the others from the new version
            logger.exception("camera %s: cannot start it with the new configuration", camera.id)
    if change.sensors:
        worker.replace_sensors()
    logger.info("new configuration applied: %s", change.describe())


def start_camera(worker: RunningBox, camera: CameraConfig) -> None:
    """Build and start one camera (its clip recorder too, when clips are on)."""
    worker.build_camera(camera)
    if worker.snapshots is not None:
        worker.snapshots.restart(camera.id)
    if worker.clips is not None:
        worker.clips.add_camera(camera_spec(camera))
    worker.supervisor.spawn(camera_thread(camera.id), functools.partial(worker.camera_loop, camera.id))


def camera_spec(camera: CameraConfig) -> CameraSpec:
    """What the clips need to know of a camera."""
    return CameraSpec(
        camera.id, camera.url, detect_fps=camera.source.detect_fps,
        open_timeout_s=camera.source.open_timeout_s, read_timeout_s=camera.source.read_timeout_s,
        live=camera.is_live,
    )  # fmt: skip


def stop_camera(worker: RunningBox, camera_id: str) -> None:
    """Stop one camera's thread, close its source and forget it (and its clip recorder)."""
    name = camera_thread(camera_id)
    worker.supervisor.release(name)
    worker.sources[camera_id].close()
    if not worker.supervisor.join(name, 10):
        logger.warning("camera %s: its thread did not end within 10 s", camera_id)
    worker.supervisor.forget(name)
    if worker.clips is not None:
        worker.clips.remove_camera(camera_id)
    del worker.sources[camera_id], worker.pipelines[camera_id]
    worker.monitors.pop(camera_id, None)
