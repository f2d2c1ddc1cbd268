"""Live progress of an edge worker run: one bar per camera with frames, detector calls, alerts sent.

The worker runs on a thread; the bars read its counters (the source's frames read, the pipeline's
stats, the publisher's deliveries per camera) a few times a second. While the bars show, the log
shows only warnings and errors (everything with `-v`), so the bars tell the story.

Example:
    >>> summary = run_with_progress(EdgeWorker(config), Console(stderr=True), once=True)
"""

from __future__ import annotations

import threading

import cv2
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from edge.worker import EdgeWorker, RunSummary
from gridwatch.logs import progress_only
from ingest import SourceState
from ingest.config import is_stream_url

REFRESH_S = 0.2


def run_with_progress(worker: EdgeWorker, console: Console, *, once: bool) -> RunSummary:
    """Run `worker` until it ends (or Ctrl-C, which stops and drains it) while bars follow it."""
    outcome: list[RunSummary | BaseException] = []

    def target() -> None:
        try:
            outcome.append(worker.run(once=once))
        except BaseException as exc:  # handed to the caller's thread below
            outcome.append(exc)

    thread = threading.Thread(target=target, name="edge-worker", daemon=True)
    columns = (
        TextColumn("[bold]{task.description}"), BarColumn(bar_width=24), TaskProgressColumn(),
        TextColumn("{task.fields[counts]}"),
    )  # fmt: skip
    with progress_only(), Progress(*columns, console=console) as progress:
        tasks = {
            camera.id: progress.add_task(
                camera.id, total=None if camera.url is None else frame_total(camera.url), counts=""
            )
            for camera in worker.config.cameras
        }
        thread.start()
        try:
            while thread.is_alive():
                _update(progress, tasks, worker)
                thread.join(REFRESH_S)
        except KeyboardInterrupt:
            worker.stop()
            thread.join()
        _update(progress, tasks, worker)
    result = outcome[0] if outcome else RuntimeError("the edge worker ended without a summary")
    if isinstance(result, BaseException):
        raise result
    return result


def frame_total(url: str) -> int | None:
    """Frames in a video file, as its container says; None for a live stream or when unknown."""
    if is_stream_url(url):
        return None
    capture = cv2.VideoCapture(url)
    try:
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    finally:
        capture.release()
    return total if total > 0 else None


def _update(progress: Progress, tasks: dict[str, TaskID], worker: EdgeWorker) -> None:
    sent = worker.publisher.stats.sent_by_source
    for camera_id, task in tasks.items():
        health, stats = worker.sources[camera_id].health(), worker.pipelines[camera_id].stats
        counts = (
            f"frames {stats.frames} · detector calls {stats.detector_calls} · "
            f"alerts {stats.alerts}, sent {sent.get(camera_id, 0)}"
        )
        finished = any(t.state is SourceState.FINISHED for t in health.transitions)
        if finished:  # read to the end: the container's frame count was only an estimate
            progress.update(task, total=health.frames_read, completed=health.frames_read, counts=counts)
        else:
            progress.update(task, completed=health.frames_read, counts=counts)
