"""Fixtures of the ingest tests: the shared clips and a real RTSP server on loopback."""

from __future__ import annotations

from tests.support.rtsp import CLIPS_DIR

PERSON_CLIP = CLIPS_DIR / "one-by-one-person-detection.mp4"
CAR_CLIP = CLIPS_DIR / "car-detection.mp4"
