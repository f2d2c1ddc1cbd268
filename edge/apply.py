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
from typing import TYPE_CHECKING

from edge.clips import CameraSpec
from edge.config import CameraConfig, EdgeConfig
from edge.reconfigure import plan

if TYPE_CHECKING:
    from edge.worker import EdgeWorker

logger = logging.getLogger(__name__)


def camera_thread(camera_id: str) -> str:
    """The name of a camera's supervised thread."""
    return f"camera-{camera_id}"


def apply_config(worker: EdgeWorker, config: EdgeConfig) -> None:
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


def start_camera(worker: EdgeWorker, camera: CameraConfig) -> None:
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
        camera.id, camera.url, detect_fps=camera.detect_fps, open_timeout_s=camera.open_timeout_s,
        read_timeout_s=camera.read_timeout_s, live=camera.is_live,
    )  # fmt: skip


def stop_camera(worker: EdgeWorker, camera_id: str) -> None:
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
