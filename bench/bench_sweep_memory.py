"""Memory and time of a sweep with its cells in the sweep's own process, in a fresh interpreter
per cell, and forked per cell from one server.

A sweep used to run its cells one after another in its own process, whose resident set grew
40-65 MB a cell (native memory, BENCHMARKS.md (h)); now each cell runs in a fresh interpreter
(``spawn``), which imports torch, transformers, peft and the rest again for every cell, or, with
``RMBENCH_CELL_START=forkserver``, is forked from a server that imported them once for the sweep
(``rmbench.run.cellproc``). This runs the same ``rmbench sweep`` in each mode, alternating
(``RMBENCH_SWEEP_IN_PROCESS=1`` for the first, ``RMBENCH_CELL_START`` for the others), each into
a new output folder, and samples the whole process tree (the sweep, the server, its cells)
every --interval seconds with psutil. Per mode:

- ``peak_total_mb``: the largest sampled sum of resident sets. Pages a forked cell shares with
  the server count twice in it, so for the forkserver this overstates what the machine holds;
- ``peak_pss_mb``: the same with proportional set sizes (a page shared by two processes counts
  half in each), read every --pss-every seconds: what the machine had to hold at once, in
  every mode;
- ``peak_process_mb``: the largest sampled resident set of any one process of the tree
  (sampled: the kernel's ru_maxrss of waited children is a maximum over this script's whole
  life, so it would carry the first mode's peak into the second);
- ``cell_peaks_mb``: the largest sampled PSS sum during each cell (cells told apart by the
  sweep's "sweep: cell i of n" lines on stderr), to show growth from cell to cell;
- ``sweep_process_end_mb``: the sweep's own process just before it exits;
- wall seconds and CPU seconds (the sweep and every process under it: the server waits for its
  cells and the sweep for the server);
- ``same_outputs``: whether every cell's predictions.jsonl matches the first mode's, byte for byte.

    python bench/bench_sweep_memory.py [--repeat 1] [--modes in-process,spawn,forkserver] -- --leave-one-out --tasks writingprompts,askacademia,gradschool

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


def _tree_rss(proc: psutil.Process, with_pss: bool) -> tuple[int, int, int, int]:
    """(sum of the tree's resident sets, of their proportional set sizes (0 unless ``with_pss``),
    the largest resident set, the sweep process's own), in bytes. PSS walks every page table
    (~40 ms for a 2 GB process, holding its memory map's lock), so it is read less often."""
    total = pss = largest = own = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0, 0, 0
    for k in procs:
        try:
            m = k.memory_full_info() if with_pss else k.memory_info()
        except psutil.Error:
            continue
        total += m.rss
        pss += getattr(m, "pss", 0)
        largest = max(largest, m.rss)
        if k is proc:
            own = m.rss
    return total, pss, largest, own


MODES = ("in-process", "spawn", "forkserver")


def run_once(sweep_args: list[str], mode: str, interval: float, pss_every: float) -> dict:
    out = Path(tempfile.mkdtemp(prefix="bench-sweep-mem-")) / "out"
    env = {k: v for k, v in os.environ.items() if k not in ("RMBENCH_SWEEP_IN_PROCESS", "RMBENCH_CELL_START")}
    if mode == "in-process":
        env["RMBENCH_SWEEP_IN_PROCESS"] = "1"
    else:
        env["RMBENCH_CELL_START"] = mode
    cmd = [sys.executable, "-c", "from rmbench.cli import main; main()", "sweep", *sweep_args, "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    cell = [0]  # the cell running now (0: before the first)
    peaks: dict[int, int] = {}
    last_own = [0]
    largest = peak_rss = 0
    next_pss = 0.0

    def read_stderr() -> None:
        for line in child.stderr:
            if line.startswith("sweep: cell "):
                cell[0] = int(line.split()[2])

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    proc = psutil.Process(child.pid)
    while child.poll() is None:
        with_pss = time.perf_counter() >= next_pss
        total, pss, big, own = _tree_rss(proc, with_pss)
        largest, peak_rss = max(largest, big), max(peak_rss, total)
        if own:
            last_own[0] = own
        if with_pss:
            next_pss = time.perf_counter() + pss_every
            peaks[cell[0]] = max(peaks.get(cell[0], 0), pss)
        time.sleep(interval)
    wall = time.perf_counter() - start
    reader.join(timeout=5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(f"rmbench sweep exited {child.returncode}")
    mb = 1 / 2**20
    return {"mode": mode, "wall_s": round(wall, 1),
            "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
            "peak_total_mb": round(peak_rss * mb), "peak_pss_mb": round(max(peaks.values()) * mb),
            "peak_process_mb": round(largest * mb),
            "cell_peaks_mb": {str(k): round(v * mb) for k, v in sorted(peaks.items()) if k},
            "sweep_process_end_mb": round(last_own[0] * mb), "out": str(out)}


def _same(a: Path, b: Path) -> bool:
    """Every cell's predictions.jsonl under ``a`` is byte for byte the one under ``b``."""
    cells = sorted(p.relative_to(a) for p in a.glob("cells/*/predictions.jsonl"))
    return bool(cells) and cells == sorted(p.relative_to(b) for p in b.glob("cells/*/predictions.jsonl")) and all(
        (a / c).read_bytes() == (b / c).read_bytes() for c in cells)


def main() -> None:
    argv = sys.argv[1:]
    sweep_args = argv[argv.index("--") + 1:] if "--" in argv else ["--leave-one-out", "--tasks",
                                                                   "writingprompts,askacademia,gradschool"]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="alternations of the two modes")
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between samples")
    ap.add_argument("--pss-every", type=float, default=2.0, help="seconds between PSS readings (costly: see _tree_rss)")
    ap.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, in order (of {', '.join(MODES)})")
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - set(MODES):
        ap.error(f"--modes {args.modes!r}: expected some of {', '.join(MODES)}")
    runs = []
    for _ in range(args.repeat):
        for mode in modes:
            runs.append(run_once(sweep_args, mode, args.interval, args.pss_every))
            runs[-1]["same_outputs"] = _same(Path(runs[0]["out"]), Path(runs[-1]["out"]))
            print(json.dumps(runs[-1]), file=sys.stderr)
    print(json.dumps({"sweep_args": sweep_args, "load_avg": os.getloadavg(), "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
