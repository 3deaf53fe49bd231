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


_FREED_BIG_BLOCKS = """
import json, sys
from rmbench.model.memory import mmap_large_allocations

def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024

was_set = mmap_large_allocations() if sys.argv[1] == "set" else None
warm = bytearray(1 << 20); del warm  # glibc's dynamic threshold rises past 1 MiB here
big, pins = [], []
for _ in range(150):  # 1 MiB blocks (a tensor's size) between small survivors
    big.append(bytearray(1 << 20))
    pins.append(bytearray(1000))
for b in big:
    b[::4096] = b"x" * len(b[::4096])  # touch every page
before = rss()
del big
print(json.dumps({"set": was_set, "freed_mb": before - rss()}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or _malloc_trim() is None, reason="needs glibc")
def test_mmap_large_allocations_gives_freed_blocks_back_without_a_trim():
    import json
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}

    def run(mode):
        out = subprocess.run([sys.executable, "-c", _FREED_BIG_BLOCKS, mode], env=env, capture_output=True,
                             text=True, check=True).stdout
        return json.loads(out)

    assert run("default")["freed_mb"] < 50  # in the heap, behind the survivors: still resident
    fixed = run("set")
    assert fixed["set"] is True and fixed["freed_mb"] > 100


def test_a_threshold_set_in_the_environment_is_left_alone(monkeypatch):
    from rmbench.model.memory import mmap_large_allocations

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert mmap_large_allocations() is False
