"""Clips of real alerts: the real model on the person clip, both pre-roll kinds, decoded and compared.

The first alert on the clip is the intrusion at frame 72 (7.2 s): a person walks in and stays until
about 20 s (see tests/edge/test_pipeline.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from detectors import Detector
from edge.clips.jobs import ClipFinisher
from edge.clips.queue import ClipQueue, ClipRecord, ClipState
from edge.clips.recorder import CameraRecorder, FrameRecorder, PacketRecorder
from edge.config import BufferKind, ClipsConfig
from edge.outbox import Outbox
from edge.pipeline import CameraPipeline
from ingest import VideoSource, VideoSourceConfig
from tests.edge.test_pipeline import room_camera
from tests.support.models import PERSON_CLIP, default_model

pytestmark = pytest.mark.slow
Image = np.ndarray


@dataclass
class Run:
    """What one run of the pipeline with a recorder left."""

    clips: list[ClipRecord]
    alert_frames: dict[str, Image]


def _recorder(
    kind: BufferKind, config: ClipsConfig, queue: ClipQueue, finisher: ClipFinisher, folder: Path
) -> CameraRecorder:
    if kind is BufferKind.PACKETS:
        return PacketRecorder(
            "cam-room",
            config,
            url=str(PERSON_CLIP),
            live=False,
            clips=queue,
            finisher=finisher,
            folder=folder,
        )
    return FrameRecorder("cam-room", config, fps=5, live=False, clips=queue, finisher=finisher, folder=folder)


def run(tmp_path: Path, kind: BufferKind, config: ClipsConfig, until_s: float = 25.0) -> Run:
    default_model()
    camera = room_camera(gate=True)
    queue = ClipQueue(tmp_path / "outbox.db")
    finisher = ClipFinisher(queue)
    finisher.start()
    recorder = _recorder(kind, config, queue, finisher, tmp_path / "clips")
    pipeline = CameraPipeline(
        camera,
        Detector.from_config(camera.detector),
        device_id="edge-test",
        outbox=Outbox(tmp_path / "outbox.db"),
    )
    frames: dict[str, Image] = {}
    with VideoSource(VideoSourceConfig(id=camera.id, url=camera.url, detect_fps=5)) as source:
        for frame in source.frames():
            alerts = pipeline.process(frame)
            recorder.on_frame(frame, pipeline.track_ids)
            recorder.on_alerts(alerts, frame)
            frames.update({alert.alert_id: frame.image for alert in alerts})
            if frame.pts >= until_s:
                break
    recorder.close(truncated=False)
    finisher.stop()
    return Run(queue.in_state(ClipState.READY), frames)


def decoded(path: Path) -> list[tuple[float, Image]]:
    """Every frame of a clip with its time (seconds from the clip's start), decoded by OpenCV as the
    pipeline decodes the source, so that the same compressed frame gives the same pixels."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append((capture.get(cv2.CAP_PROP_POS_MSEC) / 1000, np.asarray(image)))
    capture.release()
    with av.open(str(path)) as container:  # the container's own idea of the length, as a cross-check
        assert container.duration is not None
        assert abs(container.duration / 1e6 - (frames[-1][0] - frames[0][0])) < 0.5
    start = frames[0][0]
    return [(t - start, image) for t, image in frames]


def source_frame(t: float) -> Image:
    capture = cv2.VideoCapture(str(PERSON_CLIP))
    capture.set(cv2.CAP_PROP_POS_MSEC, t * 1000)
    ok, image = capture.read()
    capture.release()
    assert ok
    return np.asarray(image)


def difference(a: Image, b: Image) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


@pytest.mark.parametrize(("kind", "same"), [(BufferKind.PACKETS, 1.0), (BufferKind.FRAMES, 6.0)])
def test_a_clip_covers_pre_and_post_and_holds_the_alert_frame(
    tmp_path: Path, kind: BufferKind, same: float
) -> None:
    config = ClipsConfig(buffer=kind, pre_s=5, post_s=10, max_s=10)  # no extension: exactly pre + post
    result = run(tmp_path, kind, config)
    first = next(c for c in result.clips if c.alert_id in result.alert_frames)
    assert first.info is not None
    frames = decoded(first.path)
    duration = frames[-1][0] + (0.1 if kind is BufferKind.PACKETS else 0.2) - frames[0][0]
    print(
        f"{kind.value}: alert at {first.alert_t:.1f} s, clip from {first.first_t:.1f} s, "
        f"{duration:.2f} s long, "
        f"{first.info.size} bytes, declared {first.info.duration_s} s"
    )
    assert abs(duration - 15.0) <= 1.0
    assert first.first_t is not None
    assert first.first_t < first.alert_t
    assert first.info.alert_offset_s == pytest.approx(first.alert_t - first.first_t, abs=1e-3)
    assert difference(frames[0][1], source_frame(first.first_t)) < same  # the first frame is from before
    at_alert = min(frames, key=lambda f: abs(f[0] - first.info.alert_offset_s))  # type: ignore[union-attr]
    alert_image = result.alert_frames[first.alert_id]
    assert difference(at_alert[1], alert_image) < same
    earlier = min(frames, key=lambda f: abs(f[0] - (first.info.alert_offset_s - 2.0)))  # type: ignore[union-attr]
    assert difference(earlier[1], alert_image) > difference(at_alert[1], alert_image)


def test_a_clip_goes_on_while_the_alert_s_object_stays(tmp_path: Path) -> None:
    config = ClipsConfig(buffer=BufferKind.PACKETS, pre_s=5, post_s=10, max_s=30)
    result = run(tmp_path, BufferKind.PACKETS, config, until_s=45)
    first = min(result.clips, key=lambda c: c.alert_t)
    assert first.info is not None
    print(f"alert at {first.alert_t:.1f} s: clip of {first.info.duration_s} s")
    assert 5 + 10 + 3 < first.info.duration_s <= 5 + 30 + 1  # the person stays until about 20 s
