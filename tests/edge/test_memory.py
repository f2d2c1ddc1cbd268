"""Giving freed heap back to the system with glibc's malloc_trim."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from edge.memory import MemoryTrimmer

GLIBC = ctypes.util.find_library("c") == "libc.so.6"

FREE_THEN_TRIM = """
import os
from edge.memory import MemoryTrimmer

def rss_mb():
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

blocks = [bytes(2000) + bytes([k % 256]) for k in range(100_000)]  # ~200 MB in malloc'ed blocks
pin = bytes(3000)  # allocated last: the heap's top stays in use, so free() alone cannot shrink it
del blocks
freed = rss_mb()
trimmer = MemoryTrimmer(interval_s=1e-9)
assert trimmer.maybe_trim()
print(freed - rss_mb())
"""


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's; elsewhere MemoryTrimmer is a no-op")
def test_trimming_returns_freed_heap_that_free_alone_keeps() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FREE_THEN_TRIM], capture_output=True, text=True, check=True, timeout=120
    )
    assert float(done.stdout) > 100  # MB given back of the ~200 freed


def test_an_interval_of_zero_never_trims() -> None:
    trimmer = MemoryTrimmer(interval_s=0)
    assert not trimmer.available
    assert not trimmer.maybe_trim()
    assert trimmer.trims == 0


def test_at_most_one_trim_per_interval() -> None:
    trimmer = MemoryTrimmer(interval_s=3600)
    assert trimmer.available == GLIBC
    assert not trimmer.maybe_trim()  # the interval starts when the trimmer is made
    assert trimmer.trims == 0
