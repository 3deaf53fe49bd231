"""What this machine is, as far as a run's numbers depend on it.

One owner for reading the CPU: the training precision under ``mixed_precision=auto`` follows
its bf16 support (``rmbench.model.train.resolve_precision``), and results.json's ``hardware``
records it beside the thread count, because a rerun reproduces a run bit for bit only with
the same torch, precision, thread count and CPU kernels (docs/harness.md, "Reproducing a run").
"""

from __future__ import annotations

import platform
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
