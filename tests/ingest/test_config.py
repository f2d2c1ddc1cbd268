"""Source configs refuse unknown keys and bad values, and tell files from live streams."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ingest.config import VideoSourceConfig


@pytest.mark.parametrize(
    ("url", "live"),
    [
        ("rtsp://127.0.0.1:8554/cam", True),
        ("RTSP://user:pw@cam.local/stream1", True),
        ("rtsps://cam.local/x", True),
        ("https://example.org/live.m3u8", True),
        ("/work/shared/clips/car-detection.mp4", False),
        ("clips/car.mp4", False),
    ],
)
def test_tells_live_streams_from_files(url: str, live: bool) -> None:
    assert VideoSourceConfig(id="c", url=url).is_live is live


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"id": "c", "url": "a.mp4", "fps": 5}, "fps"),
        ({"id": "c", "url": "a.mp4", "detect_fps": 0}, "detect_fps"),
        ({"id": "c", "url": "a.mp4", "read_timeout_s": -1}, "read_timeout_s"),
        ({"id": "", "url": "a.mp4"}, "id"),
        ({"id": "c", "url": "a.mp4", "backoff": {"initial_s": 1, "bogus": 2}}, "bogus"),
    ],
)
def test_bad_fields_are_refused_by_name(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        VideoSourceConfig.model_validate(fields)
