"""Memory of a sweep with its cells in the sweep's own process against a process per cell.

A sweep used to run its cells one after another in its own process, whose resident set grew
40-65 MB a cell (native memory, BENCHMARKS.md (h)); now each cell runs in a process of its own
(``rmbench.run.cellproc``). This runs the same ``rmbench sweep`` both ways, alternating
(``RMBENCH_SWEEP_IN_PROCESS=1`` is the old way), each into a new output folder, and samples the
resident set of the whole process tree (the sweep and its cells, summed) every --interval
seconds with psutil. Per mode:

- ``peak_total_mb``: the largest sampled sum: what the machine had to hold at once;
- ``peak_process_mb``: the largest sampled resident set of any one process of the tree
  (sampled: the kernel's ru_maxrss of waited children is a maximum over this script's whole
  life, so it would carry the first mode's peak into the second);
- ``cell_peaks_mb``: the largest sampled sum during each cell (cells told apart by the
  sweep's "sweep: cell i of n" lines on stderr), to show growth from cell to cell;
- ``sweep_process_end_mb``: the sweep's own process just before it exits;
- wall seconds and CPU seconds (the sweep and every cell process).

    python bench/bench_sweep_memory.py [--repeat 1] -- --leave-one-out --tasks writingprompts,askacademia,gradschool

Everything after ``--`` goes to ``rmbench sweep`` (``--out`` is added here; not ``--quiet``: the
cells are told apart by its progress lines).
Prints one JSON object; BENCHMARKS.md quotes it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil


def _tree_rss(proc: psutil.Process) -> tuple[int, int, int]:
    """(sum of the tree's resident sets, the largest one, the sweep process's own), in bytes."""
    try:
        own = proc.memory_info().rss
        kids = proc.children(recursive=True)
    except psutil.Error:
        return 0, 0, 0
    total = largest = own
    for k in kids:
        try:
            rss = k.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest, own


def run_once(sweep_args: list[str], in_process: bool, interval: float) -> dict:
    out = Path(tempfile.mkdtemp(prefix="bench-sweep-mem-")) / "out"
    env = dict(os.environ)
    env.pop("RMBENCH_SWEEP_IN_PROCESS", None)
    if in_process:
        env["RMBENCH_SWEEP_IN_PROCESS"] = "1"
    cmd = [sys.executable, "-c", "from rmbench.cli import main; main()", "sweep", *sweep_args, "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    cell = [0]  # the cell running now (0: before the first)
    peaks: dict[int, int] = {}
    last_own = [0]
    largest = 0

    def read_stderr() -> None:
        for line in child.stderr:
            if line.startswith("sweep: cell "):
                cell[0] = int(line.split()[2])

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    proc = psutil.Process(child.pid)
    while child.poll() is None:
        total, big, own = _tree_rss(proc)
        largest = max(largest, big)
        if own:
            last_own[0] = own
        peaks[cell[0]] = max(peaks.get(cell[0], 0), total)
        time.sleep(interval)
    wall = time.perf_counter() - start
    reader.join(timeout=5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(f"rmbench sweep exited {child.returncode}")
    mb = 1 / 2**20
    return {"mode": "in process" if in_process else "a process per cell", "wall_s": round(wall, 1),
            "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
            "peak_total_mb": round(max(peaks.values()) * mb), "peak_process_mb": round(largest * mb),
            "cell_peaks_mb": {str(k): round(v * mb) for k, v in sorted(peaks.items()) if k},
            "sweep_process_end_mb": round(last_own[0] * mb), "out": str(out)}


def main() -> None:
    argv = sys.argv[1:]
    sweep_args = argv[argv.index("--") + 1:] if "--" in argv else ["--leave-one-out", "--tasks",
                                                                   "writingprompts,askacademia,gradschool"]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="alternations of the two modes")
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between samples")
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    runs = []
    for _ in range(args.repeat):
        for in_process in (True, False):
            runs.append(run_once(sweep_args, in_process, args.interval))
            print(json.dumps(runs[-1]), file=sys.stderr)
    print(json.dumps({"sweep_args": sweep_args, "load_avg": os.getloadavg(), "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
