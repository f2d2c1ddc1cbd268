"""File sources: frames with their stream times, decimation on real clips, clear errors, a clean end."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest

from ingest import EndOfStreamError, SourceError, SourceState, VideoSource, VideoSourceConfig
from tests.conftest import clip
from tests.ingest.conftest import CAR_CLIP, PERSON_CLIP

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("path", "detect_fps", "total", "kept", "first_pts"),
    [
        (PERSON_CLIP, None, 1394, 1394, [0.0, 0.1, 0.2, 0.3, 0.4]),
        (PERSON_CLIP, 5, 1394, 697, [0.0, 0.2, 0.4, 0.6, 0.8]),
        (CAR_CLIP, None, 377, 377, [0.0, 0.08, 0.16, 0.24, 0.32]),
        (CAR_CLIP, 5, 377, 151, [0.0, 0.24, 0.4, 0.64, 0.8]),
    ],
)
def test_reads_every_kept_frame_then_finishes(
    path: Path, detect_fps: float | None, total: int, kept: int, first_pts: list[float]
) -> None:
    config = VideoSourceConfig(id="clip", url=str(clip(path)), detect_fps=detect_fps)
    with VideoSource(config) as source:
        times = [round(frame.pts, 3) for frame in source.frames()]
        health = source.health()
    assert (len(times), times[:5]) == (kept, first_pts)
    assert health.state is SourceState.FINISHED
    assert (health.frames_read, health.frames_skipped) == (total, total - kept)


def test_frames_carry_source_index_time_and_bgr_image() -> None:
    config = VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)), detect_fps=5)
    with VideoSource(config) as source:
        first, second = source.read(timeout=10), source.read(timeout=10)
    assert (first.source_id, first.index, second.index) == ("car", 0, 3)
    assert first.image.shape == (432, 768, 3)
    assert first.image.dtype == np.uint8
    assert (first.width, first.height) == (768, 432)
    assert first.captured_at.tzinfo is UTC
    assert first.captured_at <= second.captured_at


def test_read_after_the_end_raises_end_of_stream() -> None:
    config = VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)), detect_fps=1)
    with VideoSource(config) as source:
        count = sum(1 for _ in source.frames())
        with pytest.raises(EndOfStreamError, match=re.escape(str(CAR_CLIP))):
            source.read(timeout=5)
    assert count == 31


def test_missing_file_raises_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-clip.mp4"
    source = VideoSource(VideoSourceConfig(id="x", url=str(missing)))
    with pytest.raises(SourceError, match=re.escape(str(missing))):
        source.open()
    assert source.state is SourceState.FAILED


def test_file_that_is_not_a_video_raises_naming_the_path(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    with pytest.raises(SourceError, match=r"cannot open video file .*notes\.mp4"):
        VideoSource(VideoSourceConfig(id="x", url=str(bogus))).open()


def test_slow_consumer_of_a_file_loses_no_frame() -> None:
    config = VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)), queue_size=1)
    with VideoSource(config) as source:
        indexes = [frame.index for frame in source.frames()]
        dropped = source.health().frames_dropped
    assert (indexes, dropped) == (list(range(377)), 0)


def test_realtime_file_is_delivered_at_the_clip_rate() -> None:
    config = VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)), detect_fps=5, realtime=True)
    with VideoSource(config) as source:
        frames = [source.read(timeout=5) for _ in range(6)]
    elapsed = (frames[-1].captured_at - frames[0].captured_at).total_seconds()
    assert frames[-1].pts == pytest.approx(1.04)
    assert elapsed >= frames[-1].pts - 0.05


def test_close_stops_the_reader_early() -> None:
    config = VideoSourceConfig(id="person", url=str(clip(PERSON_CLIP)), queue_size=2)
    source = VideoSource(config).open()
    source.read(timeout=10)
    source.close()
    assert source.state is SourceState.CLOSED
    assert source.health().frames_read < 1394


def test_read_after_close_without_open_ends_at_once() -> None:
    source = VideoSource(VideoSourceConfig(id="car", url=str(clip(CAR_CLIP))))
    source.close()
    with pytest.raises(EndOfStreamError, match="closed"):
        source.read(timeout=5)


def test_a_truncated_file_fails_naming_where_it_ends(tmp_path: Path) -> None:
    """Issue 11 case 7: the first half of the person clip (its index is at the front, its frames are cut)."""
    data = clip(PERSON_CLIP).read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    frames: list[int] = []
    with VideoSource(VideoSourceConfig(id="cut", url=str(truncated))) as source:
        with pytest.raises(SourceError, match="truncated or corrupt") as raised:
            frames.extend(frame.index for frame in source.frames())
        health = source.health()
    read = len(frames)
    assert not isinstance(raised.value, EndOfStreamError)
    assert 0 < read < 1394
    assert health.state is SourceState.FAILED
    assert f"video file {truncated} ends after frame {read} of the 1394 it declares" in health.last_error


def test_a_file_started_part_way_begins_at_that_frame_and_reads_to_its_end() -> None:
    start = VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)), start_s=12.0)
    with VideoSource(start) as source:
        frames = list(source.frames())
        health = source.health()
    with VideoSource(VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)))) as whole:
        same = next(frame for frame in whole.frames() if frame.index == frames[0].index)
    assert (frames[0].index, round(frames[0].pts, 3)) == (150, 12.0)
    assert np.array_equal(frames[0].image, same.image)  # that very frame, not the keyframe before it
    assert (len(frames), frames[-1].index) == (377 - 150, 376)
    assert health.state is SourceState.FINISHED  # not taken for a truncated file


def test_a_replayed_file_started_part_way_is_paced_from_its_first_frame() -> None:
    config = VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)), detect_fps=5, realtime=True, start_s=20.0)
    with VideoSource(config) as source:
        frames = [source.read(timeout=5) for _ in range(6)]
    elapsed = (frames[-1].captured_at - frames[0].captured_at).total_seconds()
    assert frames[-1].pts - frames[0].pts == pytest.approx(1.04, abs=0.09)
    assert elapsed >= frames[-1].pts - frames[0].pts - 0.05


def test_a_start_past_the_end_of_the_file_fails_naming_the_file_and_its_length() -> None:
    config = VideoSourceConfig(id="car", url=str(clip(CAR_CLIP)), start_s=31.0)
    source = VideoSource(config)
    named = f"video file {clip(CAR_CLIP)} is 30.2 s long: cannot start at 31 s"
    with pytest.raises(SourceError, match=re.escape(named)):
        source.open()
    assert source.health().state is SourceState.FAILED
    source.close()


def test_a_start_point_is_refused_for_a_live_stream() -> None:
    with pytest.raises(ValueError, match="start_s applies to video files, not to a live stream"):
        VideoSourceConfig(id="cam", url="rtsp://127.0.0.1:8554/cam", start_s=5.0)
