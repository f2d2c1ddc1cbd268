"""One inference scheduler per model: the cameras' model inputs batched into a few bounded model runs.

Camera threads submit their prepared input tensors; a small pool of runner threads (`max_concurrent`,
default half the cores) takes them in batches of the same input shape, across cameras, and runs the
shared session once per batch, as DeepStream's stream muxer does. Service is round-robin over the
queues (camera × input shape), so a busy camera cannot starve the others; each queue holds at most
`slot` requests and a newer one drops the oldest (newest wins), counted per camera, so nothing is
queued without bound. Works for any execution provider: the scheduler only calls `session.run`.

Example:
    >>> scheduler = InferenceScheduler(detector.session, SchedulerConfig()).start()  # doctest: +SKIP
    >>> lane = DetectorLane(detector, scheduler, "cam-1")  # doctest: +SKIP
    >>> whole, *tiles = lane.detect_tiles(frame, tiles)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import supervision as sv
from numpy.typing import NDArray

from detectors.config import SchedulerConfig
from detectors.detector import Detector, Prepared
from detectors.errors import DetectorError
from detectors.tiles import Tile, to_frame
from ingest.frame import Image

logger = logging.getLogger(__name__)

Outputs = list[NDArray[np.float32]]
Tensor = NDArray[np.float32] | NDArray[np.uint8]
Key = tuple[str, tuple[int, ...]]
"""A queue: the camera and the shape of one image of its input."""


class FrameDroppedError(DetectorError):
    """The request was dropped unrun: a newer one of the same camera took its place, or the scheduler
    closed."""


class Session(Protocol):
    """What the scheduler needs of an onnxruntime session."""

    def run(self, output_names: list[str] | None, input_feed: dict[str, Any]) -> list[Any]:
        """Run the model."""
        ...

    def get_inputs(self) -> list[Any]:
        """The model's inputs (name, shape)."""
        ...

    def get_providers(self) -> list[str]:
        """The execution providers the session uses."""
        ...


@dataclass
class LaneStats:
    """Counters of one camera at the scheduler."""

    submitted: int = 0
    completed: int = 0
    dropped: int = 0
    """Requests dropped unrun (newest wins)."""
    failed: int = 0
    """Requests whose model run raised (the error goes to the camera)."""


@dataclass(frozen=True)
class Result:
    """A request's share of a batched model run: its images are `offset`, `offset + 1`, ... of `outputs`."""

    outputs: Outputs
    offset: int
    batch_images: int


@dataclass
class _Request:
    key: Key
    tensor: Tensor
    future: Future[Result] = field(default_factory=Future)

    @property
    def images(self) -> int:
        return int(self.tensor.shape[0])


@dataclass
class SchedulerStats:
    """Counters of the whole scheduler."""

    runs: int = 0
    images: int = 0
    lanes: dict[str, LaneStats] = field(default_factory=dict)


class InferenceScheduler:
    """Batches requests of many cameras into bounded, fair runs of one session; see the module docstring."""

    def __init__(self, session: Session, config: SchedulerConfig, *, name: str = "model") -> None:
        self.config = config
        self.name = name
        self._session = session
        model_input = session.get_inputs()[0]
        self._input_name = str(model_input.name)
        batch = model_input.shape[0]
        providers = list(session.get_providers())
        self.max_batch = batch if isinstance(batch, int) and batch > 0 else config.batch(providers)
        """Images per run: the config's (by provider), or the model's fixed batch size."""
        self.wait_s = config.wait_s(providers)
        """How long a free runner waits to fill a batch."""
        self._queues: dict[Key, deque[_Request]] = {}
        self._turns: deque[Key] = deque()
        """Queues with requests, in the order they get served (served ones go to the back)."""
        self._changed = threading.Condition()
        self._closed = False
        self._started = False
        self.stats = SchedulerStats()
        self._runners = [
            threading.Thread(target=self._run_loop, name=f"infer-{name}-{k}", daemon=True)
            for k in range(config.concurrency)
        ]

    def start(self) -> InferenceScheduler:
        """Start the runners (requests submitted before wait for this)."""
        with self._changed:
            if self._started or self._closed:
                return self
            self._started = True
        for runner in self._runners:
            runner.start()
        return self

    def submit(self, camera: str, tensor: Tensor) -> Future[Result]:
        """Queue one camera's input tensor (N images of one shape); the future gets its `Result`."""
        request = _Request((camera, tuple(tensor.shape[1:])), tensor)
        with self._changed:
            lane = self.stats.lanes.setdefault(camera, LaneStats())
            if self._closed:
                lane.dropped += 1
                request.future.set_exception(FrameDroppedError(f"scheduler {self.name} is closed"))
                return request.future
            lane.submitted += 1
            queue = self._queues.setdefault(request.key, deque())
            if not queue:  # its turn comes after the queues waiting now
                self._turns.append(request.key)
            while len(queue) >= self.config.slot:
                self._drop(queue.popleft(), "a newer frame of the same camera took its place")
            queue.append(request)
            self._changed.notify_all()
        return request.future

    def run(self, camera: str, tensor: Tensor) -> Result:
        """Submit and wait for the result (raises `FrameDroppedError` if it was dropped)."""
        return self.submit(camera, tensor).result()

    def lane(self, camera: str) -> LaneStats:
        """A snapshot of one camera's counters."""
        return self.lanes().get(camera, LaneStats())

    def lanes(self) -> dict[str, LaneStats]:
        """A snapshot of every camera's counters."""
        with self._changed:
            return {camera: LaneStats(**vars(stats)) for camera, stats in self.stats.lanes.items()}

    def waiting(self) -> int:
        """Requests queued now."""
        with self._changed:
            return sum(len(queue) for queue in self._queues.values())

    def close(self, timeout: float = 5.0) -> None:
        """Stop the runners; requests still queued are dropped."""
        with self._changed:
            self._closed = True
            for queue in self._queues.values():
                while queue:
                    self._drop(queue.popleft(), f"scheduler {self.name} closed")
            self._turns.clear()
            self._changed.notify_all()
        for runner in self._runners:
            if runner.is_alive():
                runner.join(timeout)

    def _drop(self, request: _Request, why: str) -> None:
        self.stats.lanes[request.key[0]].dropped += 1
        request.future.set_exception(FrameDroppedError(why))

    def _run_loop(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            try:
                self._run(batch)
            except Exception as exc:  # a runner must outlive any one batch
                logger.exception("scheduler %s: batch failed", self.name)
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)

    def _take(self) -> list[_Request] | None:
        """The next batch: the head of the queue whose turn it is, then heads of the same shape."""
        with self._changed:
            while True:
                self._changed.wait_for(lambda: self._closed or bool(self._turns))
                if self._closed:
                    return None
                deadline = time.monotonic() + self.wait_s
                while self._turns and self._fill(self._turns[0][1]) < self.max_batch:
                    left = deadline - time.monotonic()
                    if left <= 0 or not self._changed.wait(left) or self._closed:
                        break
                if self._turns and not self._closed:
                    return self._collect(self._turns[0][1])

    def _fill(self, shape: tuple[int, ...]) -> int:
        """Images a batch of this shape would hold now."""
        return sum(self._queues[key][0].images for key in self._turns if key[1] == shape)

    def _collect(self, shape: tuple[int, ...]) -> list[_Request]:
        """Heads of the queues of `shape`, in turn order, up to `max_batch` images (at least one)."""
        batch: list[_Request] = []
        images = 0
        for key in [key for key in self._turns if key[1] == shape]:
            head = self._queues[key][0]
            if batch and images + head.images > self.max_batch:
                break
            batch.append(self._queues[key].popleft())
            images += head.images
            self._turns.remove(key)
            if self._queues[key]:
                self._turns.append(key)
        return batch

    def _run(self, batch: list[_Request]) -> None:
        tensors = [request.tensor for request in batch]
        stacked = tensors[0] if len(tensors) == 1 else np.concatenate(tensors)
        try:
            outputs = self._session.run(None, {self._input_name: stacked})
        except Exception as exc:  # the cameras get the error; the runner goes on
            logger.exception("scheduler %s: model run of %d images failed", self.name, len(stacked))
            self._count(batch, completed=False, images=len(stacked))
            for request in batch:
                request.future.set_exception(exc)
            return
        self._count(batch, completed=True, images=len(stacked))
        offset = 0
        for request in batch:
            request.future.set_result(Result(outputs, offset, len(stacked)))
            offset += request.images

    def _count(self, batch: list[_Request], *, completed: bool, images: int) -> None:
        with self._changed:
            self.stats.runs += 1
            self.stats.images += images
            for request in batch:
                lane = self.stats.lanes[request.key[0]]
                if completed:
                    lane.completed += 1
                else:
                    lane.failed += 1


class DetectorLane:
    """One camera's detector, with the model runs going through the shared scheduler.

    Same results as `Detector.detect_tiles`: the whole frame and the tiles are prepared on the camera's
    thread, run in the scheduler's batches, and decoded on the camera's thread again.
    """

    def __init__(self, detector: Detector, scheduler: InferenceScheduler, camera: str) -> None:
        self.detector = detector
        self.scheduler = scheduler
        self.camera = camera

    def detect_tiles(self, frame: Image, tiles: list[Tile], *, low_ratio: float = 1.0) -> list[sv.Detections]:
        """Detections in the whole frame (first) and in each tile of it (see `Detector.detect_tiles`)."""
        whole = self.detector.prepare([frame])
        crops = self.detector.prepare([tile.crop(frame) for tile in tiles], square=True) if tiles else None
        assert whole is not None, "one frame has one shape"
        assert crops is not None or not tiles, "square tiles share one shape"
        pending = [(part, self.scheduler.submit(self.camera, part.tensor)) for part in (whole, crops) if part]
        found = [self._decode(part, future.result(), low_ratio) for part, future in pending]
        if not tiles:
            return found[0]
        size = (frame.shape[1], frame.shape[0])
        return [*found[0], *(to_frame(part, tile, size) for part, tile in zip(found[1], tiles, strict=True))]

    def _decode(self, prepared: Prepared, result: Result, low_ratio: float) -> list[sv.Detections]:
        return self.detector.decode(prepared, result.outputs, result.offset, low_ratio=low_ratio)
