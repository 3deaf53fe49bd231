"""What this machine is, as far as a run's numbers depend on it.

One owner for reading the CPU: the training precision under ``mixed_precision=auto`` follows
its bf16 support (``rmbench.model.train.resolve_precision``), and results.json's ``hardware``
records it beside the thread count, because a rerun reproduces a run bit for bit only with
the same torch, precision, thread count and CPU kernels (docs/harness.md, "Reproducing a run").
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # where bf16 autocast on a CPU is fast (oneDNN's kernels)


def _cpuinfo() -> str:
    try:
        return CPUINFO.read_text()
    except OSError:  # not Linux, or no /proc: nothing known
        return ""


def _first(field: str) -> str:
    """The first processor's ``field`` in /proc/cpuinfo ("" where it is not there)."""
    for line in _cpuinfo().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == field:
            return value.strip()
    return ""


def cpu_flags() -> set[str]:
    """The first CPU's feature flags (empty where /proc/cpuinfo cannot be read)."""
    return set(_first("flags").split())


def cpu_has_bf16() -> bool:
    """AVX512-BF16 or AMX: bf16 autocast trains ~1.7x faster per CPU step (BENCHMARKS.md)."""
    return bool(cpu_flags() & set(BF16_FLAGS))


def cpu_model() -> str | None:
    """The CPU's model name ("Intel(R) Xeon(R) Platinum 8481C"), else what platform knows."""
    return _first("model name") or platform.processor() or None



PROC_STAT = Path("/proc/stat")


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies of all CPUs since boot, or None where /proc/stat cannot be read."""
    try:
        fields = [int(x) for x in PROC_STAT.read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[3] + (fields[4] if len(fields) > 4 else 0), sum(fields[:8])) if len(fields) >= 4 else None


def others_busy(window: float = 0.3) -> float | None:
    """How many cores other processes keep busy, measured over ``window`` seconds while this
    one sleeps (the 1-minute load average would also count this process's own past work, or a
    job that just ended). None where the CPU times cannot be read."""
    first = _cpu_times()
    time.sleep(window)
    last = _cpu_times()
    if first is None or last is None or last[1] <= first[1]:
        return None
    idle, total = last[0] - first[0], last[1] - first[1]
    return (os.cpu_count() or 1) * max(0.0, 1 - idle / total)


def busy_note(threads: int | None = None, cpus: int | None = None, busy: float | None = None) -> str | None:
    """A line for the start of a long phase when other work already holds the cores: torch's
    ``threads`` (default: its thread count now) and the cores others keep ``busy`` (default:
    measured, ``others_busy``) together above ``cpus``. A run then shares the cores, and with
    more threads than cores it loses more than its share (BENCHMARKS.md, "A busy CPU"). None
    on an idle machine, or where it cannot be measured."""
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    cpus = cpus or os.cpu_count() or 1
    if busy is None:
        busy = others_busy()
        if busy is None:
            return None
    if busy + threads <= cpus + 0.5:
        return None
    spare = max(1, cpus - round(busy))
    return (f"note: the CPUs are busy (other processes keep {busy:.1f} of {cpus} cores busy) and torch runs "
            f"{threads} threads, so this run will be slower than on an idle machine. Beside another torch job, "
            "fewer threads each is faster (2 cores: a training step took 1.5x its idle time at one thread each, "
            f'3.8x at two; BENCHMARKS.md, "A busy CPU"): run with OMP_NUM_THREADS={spare}')
