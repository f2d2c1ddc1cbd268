"""The packets pre-roll on a live RTSP stream: its own connection, wall-clock times, a clip that
lines up with the frames the pipeline saw on the other connection."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.clips.jobs import ClipFinisher
from edge.clips.queue import ClipQueue, ClipState
from edge.clips.recorder import PacketRecorder
from edge.config import BufferKind, ClipsConfig
from gridwatch.contracts import Alert
from ingest import VideoSource
from tests.conftest import clip as shared_clip
from tests.edge.clips.test_recorder import decoded, difference
from tests.ingest.test_rtsp_source import OPEN_TIMEOUT_S, live_config
from tests.support.models import PERSON_CLIP
from tests.support.rtsp import RtspServer

pytestmark = pytest.mark.slow


def _alert(frame_at: datetime) -> Alert:
    return Alert.model_validate(
        {
            "alert_id": "live-1",
            "device_id": "edge-test",
            "source_id": "cam",
            "source_kind": "camera",
            "kind": "intrusion",
            "severity": "high",
            "observed_at": frame_at,
            "location": {"lon": 118.7, "lat": 32.0},
        }
    )


def test_a_live_clip_holds_the_alert_frame_at_its_offset(tmp_path: Path) -> None:
    server = RtspServer(shared_clip(PERSON_CLIP), log=tmp_path / "rtsp.log")
    server.start()
    queue = ClipQueue(tmp_path / "outbox.db")
    finisher = ClipFinisher(queue)
    finisher.start()
    config = ClipsConfig(buffer=BufferKind.PACKETS, pre_s=3, post_s=3, max_s=3)
    try:
        with VideoSource(live_config(server.url, detect_fps=5)) as source:
            recorder = PacketRecorder(
                "cam",
                config,
                url=server.url,
                live=True,
                clips=queue,
                finisher=finisher,
                folder=tmp_path / "clips",
                open_timeout_s=OPEN_TIMEOUT_S,
            )
            recorder.start()
            for frame in source.frames():
                recorder.on_frame(frame, frozenset())
                if frame.pts >= 9.0 and recorder.opened == 0:  # the second person walks in
                    alert_frame = frame
                    recorder.on_alerts([_alert(frame.captured_at)], frame)
                if recorder.opened and not recorder.jobs:
                    break
            recorder.close(truncated=True)
    finally:
        server.stop()
    assert finisher.wait_idle(30)
    finisher.stop()
    record = queue.get("live-1")
    assert record is not None
    assert record.state is ClipState.READY
    assert record.info is not None
    frames = decoded(record.path)
    best_t, best_image = min(frames, key=lambda f: difference(f[1], alert_frame.image))
    print(
        f"live clip: {record.info.duration_s} s, alert at {record.info.alert_offset_s} s, "
        f"best match of the alert frame at {best_t:.2f} s"
    )
    assert abs(record.info.duration_s - 6.0) <= 1.0
    assert record.info.alert_offset_s >= 2.5
    assert difference(best_image, alert_frame.image) < 1.0  # the very picture, from the other connection
    assert abs(best_t - record.info.alert_offset_s) < 1.0  # and where the wall clock puts it
    assert not record.info.truncated
    assert cv2.VideoCapture(str(record.path)).get(cv2.CAP_PROP_FRAME_COUNT) == len(frames)
    assert np.asarray(frames[0][1]).shape == (432, 768, 3)
