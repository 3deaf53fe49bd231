"""release_memory: glibc's freed heap goes back to the OS; nothing else changes."""

from __future__ import annotations

import sys

import pytest

from rmbench.model.memory import _malloc_trim, release_memory


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux") or _malloc_trim() is None, reason="needs glibc")
def test_trim_returns_freed_small_blocks_to_the_os():
    # Many small blocks live in the heap (below the mmap threshold): freed, glibc keeps them
    # resident until malloc_trim -- what training's activations left behind (BENCHMARKS.md).
    blocks = [bytearray(4000) for _ in range(50_000)]  # ~200 MB of heap
    for b in blocks[::7]:  # a few survivors pin the top of the heap, so free() cannot shrink it
        b[0] = 1
    survivors = blocks[::7]
    del blocks
    before = _rss_mb()
    assert release_memory() is True
    assert _rss_mb() < before - 100
    assert len(survivors) > 0
