"""Give freed memory back to the operating system (glibc), between the phases of a run.

On Linux, glibc keeps memory that torch freed in its heap for reuse: after training, a run
held ~1.9 GB resident that ``malloc_trim`` brought back to ~0.55 GB (bench/bench_memory.py,
BENCHMARKS.md "Memory"). Python's ``gc`` alone gave back nothing: the trainer, its optimizer
state and activations were already unreachable, just not returned. Each training step's
activations come and go at different addresses, so the retained heap also grows step by
step (fragmentation); trimming after each optimizer step keeps it at one step's worth.

Trimming between phases does not lower the peak *inside* a training step: glibc serves a
large tensor from ``mmap`` only while it is above a threshold that it raises each time such a
block is freed, so after the first step the activations come from the heap, where freed
blocks stay resident and fragment. ``mmap_large_allocations()`` fixes the threshold (as
``MALLOC_MMAP_THRESHOLD_`` would): every block of ``MMAP_THRESHOLD`` (1 MiB) or more is mapped
on allocation and unmapped on free, so resident memory follows what is alive.

The threshold is a trade between memory and time: a mapped block costs a page fault per
4 KiB every time it comes back. At 128 KiB (glibc's initial value, this module's first
default) the main job's peak was lowest (bf16: 1,392 MB) but it spent ~45 s of its ~140 CPU s
in the kernel (29.5M faults); at 1 MiB the smaller activations of a micro-batch come from the
heap and are reused: 1,434-1,437 MB, 102-115 CPU s, the same predictions (byte-identical
on the fp32 path); 2 MiB and up passed the 1.5 GB goal (1,530-1,617 MB). BENCHMARKS.md (d)
has the runs.

Both are no-ops where there is no glibc (macOS, Windows, musl): they change what the
process holds, never a result (the same kernels run on the same values).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os

from transformers import TrainerCallback


# mallopt's parameter number for the mmap threshold (glibc malloc.h)
M_MMAP_THRESHOLD = -3
# Blocks from here up are mapped on allocation and unmapped on free (the trade: module doc).
MMAP_THRESHOLD = 1 << 20


@functools.lru_cache(maxsize=None)
def _libc_function(name: str):
    """A glibc function (malloc_trim, mallopt), or None where the C library has none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return getattr(libc, name)
    except (OSError, AttributeError):
        return None


def _malloc_trim():
    return _libc_function("malloc_trim")


def mmap_large_allocations(threshold: int = MMAP_THRESHOLD) -> bool:
    """Map every allocation of ``threshold`` bytes or more on its own (and give it back on
    free), instead of letting glibc's threshold rise into the heap; True if set. A threshold
    the user set in ``MALLOC_MMAP_THRESHOLD_`` is left alone."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    mallopt = _libc_function("mallopt")
    return bool(mallopt is not None and mallopt(M_MMAP_THRESHOLD, int(threshold)) == 1)


def release_memory(collect: bool = True) -> bool:
    """Collect garbage (``collect``) and return the heap's free pages to the OS; True if trimmed."""
    if collect:
        gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class TrimMemory(TrainerCallback):
    """Trim the heap after each optimizer step and evaluation: the freed activations go back
    to the OS instead of piling up as fragments (a trim costs milliseconds; a step, seconds)."""

    def on_step_end(self, args, state, control, **kw):
        release_memory(collect=False)  # gc per step would cost more than it frees

    def on_evaluate(self, args, state, control, **kw):
        release_memory(collect=False)
