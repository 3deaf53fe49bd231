"""Give freed memory back to the operating system (glibc), between the phases of a run.

On Linux, glibc keeps memory that torch freed in its heap for reuse: after training, a run
held ~1.9 GB resident that ``malloc_trim`` brought back to ~0.55 GB (bench/bench_memory.py,
BENCHMARKS.md "Memory"). Python's ``gc`` alone gave back nothing: the trainer, its optimizer
state and activations were already unreachable, just not returned. Each training step's
activations come and go at different addresses, so the retained heap also grows step by
step (fragmentation); trimming after each optimizer step keeps it at one step's worth.

``release_memory()`` is a no-op where there is no glibc (macOS, Windows, musl): it changes
what the process holds, never a result.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

from transformers import TrainerCallback


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


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
