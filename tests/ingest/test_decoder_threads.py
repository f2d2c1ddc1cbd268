"""Decoder threads per capture: one camera costs its reader thread only, unless told otherwise."""

from __future__ import annotations

import os

import pytest

from ingest import VideoSource, VideoSourceConfig
from tests.support.models import PERSON_CLIP

SOURCES = 3


def threads_now() -> int:
    """Threads of this process, as the kernel counts them."""
    return len(os.listdir("/proc/self/task"))


def threads_per_source(decoder_threads: int) -> float:
    """Threads added per open, reading source (its first frame decoded)."""
    before = threads_now()
    sources = [
        VideoSource(VideoSourceConfig(id=f"cam-{k}", url=str(PERSON_CLIP), decoder_threads=decoder_threads))
        for k in range(SOURCES)
    ]
    try:
        for source in sources:
            assert source.read(timeout=10).index == 0
        return (threads_now() - before) / SOURCES
    finally:
        for source in sources:
            source.close()


def test_one_decoder_thread_means_only_the_reader_thread() -> None:
    assert threads_per_source(1) == 1.0


@pytest.mark.parametrize("decoder_threads", [3, 4])
def test_more_decoder_threads_are_ffmpeg_threads_of_their_own(decoder_threads: int) -> None:
    assert threads_per_source(decoder_threads) >= 1 + decoder_threads


def test_the_default_is_one_decoder_thread() -> None:
    assert VideoSourceConfig(id="cam", url=str(PERSON_CLIP)).decoder_threads == 1
