"""Peak memory (RSS) of a held-out run, phase by phase (issue 23 part 3).

Runs `rmbench run` (or `rmbench evaluate`) in a subprocess, so its peak RSS is its own,
samples the child's resident set from /proc every --interval seconds, and splits the
timeline into phases by the mtimes of the files the run writes as each step ends:

    start .. train_info.json              data + training ("train")
    .. scores/<task>.<split>.json          scoring one split (plus its scorecard and bootstrap)
    .. results.json                         stacked fit, predictions.jsonl, plots ("finish")
    .. exit                                 report, model card ("exit")

A phase's peak is the largest sample taken in it; the whole run's peak is the kernel's
ru_maxrss of the child (exact, where sampling can miss a short spike). Prints one JSON
object; BENCHMARKS.md quotes it.

    python bench/bench_memory.py --data /work/runs/mem-data --holdout askacademia --max-train-pairs 64
    python bench/bench_memory.py --evaluate RUN/model --data DATA --holdout askacademia
    python bench/bench_memory.py ... -- --eval-batch-size 16     # extra flags go to rmbench
    python bench/bench_memory.py --scale 2 --holdout askacademia --max-train-pairs 256

``--scale K`` measures a bigger held-out task than the shared dumps hold: the dumps
replicated K times with new ids and, after the first copy, " (copy k)" after every text
(``bench_prepare.make_scaled``), so threads, pairs and the scorer's unique inputs are all
K times as many; prepared with ``rmbench prepare`` into the work directory first.

Memory on CPU moves little with other processes beside it (time does): the load average
before and after is recorded anyway, with the precision the run trained in.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MB = 1024 * 1024


def rss_bytes(pid: int) -> int | None:
    """The resident set of ``pid`` (VmRSS), None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def marks(run: Path) -> list[tuple[float, str]]:
    """(mtime, phase that ended there), in time order, from the files a run leaves."""
    out = []
    info = run / "train_info.json"
    if info.is_file():
        out.append((info.stat().st_mtime, "train"))
    scores = run / "scores"
    if scores.is_dir():
        out += [(f.stat().st_mtime, "score " + f.name[: -len(".json")]) for f in scores.glob("*.json")]
    res = run / "results.json"
    if res.is_file():
        out.append((res.stat().st_mtime, "finish"))
    return sorted(out)


def phase_peaks(samples: list[tuple[float, int]], ends: list[tuple[float, str]]) -> list[dict]:
    """Peak and last RSS of each phase; samples after the last mark belong to "exit"."""
    phases, start = [], samples[0][0] if samples else 0.0
    for end, name in ends + [(float("inf"), "exit")]:
        inside = [r for t, r in samples if start <= t < end]
        if inside:
            phases.append({"phase": name, "seconds": round(min(end, samples[-1][0]) - start, 1),
                           "peak_rss_mb": round(max(inside) / MB), "end_rss_mb": round(inside[-1] / MB)})
        start = end
    return phases


def command(args, run: Path) -> list[str]:
    base = [sys.executable, "-m", "rmbench.cli", "--quiet"]
    if args.evaluate:
        return base + ["evaluate", "--model", args.evaluate, "--tasks", args.holdout, "--data", args.data,
                       "--out", str(run), *args.extra]
    return base + ["run", "--holdout", args.holdout, "--data", args.data, "--max-train-pairs",
                   str(args.max_train_pairs), "--out", str(run), *args.extra]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="prepared data (or dumps) for --data (with --scale: the dumps to replicate)")
    ap.add_argument("--scale", type=int, default=1, help="replicate the dumps this many times first (see above)")
    ap.add_argument("--holdout", default="askacademia")
    ap.add_argument("--max-train-pairs", type=int, default=64,
                    help="a small training budget, so scoring (the part this measures) dominates")
    ap.add_argument("--evaluate", metavar="MODEL", help="score MODEL with `rmbench evaluate` instead of a run")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between RSS samples")
    ap.add_argument("--keep", help="keep the run directory here (default: a temporary one, removed)")
    ap.add_argument("extra", nargs="*", help="extra rmbench flags, after `--`")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rmbench-mem-"))
    run = Path(args.keep) if args.keep else work / "run"
    scaled = None
    if args.scale > 1:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_prepare import DEFAULT_DUMPS, make_scaled

        make_scaled(Path(args.data or DEFAULT_DUMPS), work / "dumps", args.scale, distinct_text=True)
        scaled = work / "data"
        subprocess.run([sys.executable, "-m", "rmbench.cli", "--quiet", "prepare", "--source", str(work / "dumps"),
                        "--out", str(scaled)], check=True, stdout=subprocess.DEVNULL)
        args.data = str(scaled)
    elif not args.data:
        ap.error("--data is required (or --scale K to replicate the shared dumps)")
    cmd = command(args, run)
    before = os.getloadavg()
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, int]] = []
    while proc.poll() is None:
        r = rss_bytes(proc.pid)
        if r is not None:
            samples.append((time.time(), r))
        time.sleep(args.interval)
    stderr = proc.stderr.read()
    wall = time.time() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # ru_maxrss: KiB on Linux
    shown = " ".join(["rmbench"] + cmd[4:]).replace(str(run), "RUN")
    out = {"command": shown.replace(str(scaled), f"DUMPSx{args.scale}") if scaled else shown,
           "exit_code": proc.returncode,
           "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
           "peak_rss_mb": round(usage.ru_maxrss * 1024 / MB), "loadavg_before": before,
           "loadavg_after": os.getloadavg(), "cpu_count": os.cpu_count(),
           "env": {k: os.environ[k] for k in ("MALLOC_ARENA_MAX", "MALLOC_TRIM_THRESHOLD_") if k in os.environ},
           "phases": phase_peaks(samples, marks(run))}
    res = run / "results.json"
    if proc.returncode == 0 and res.is_file():
        doc = json.loads(res.read_text())
        training = (doc.get("model") or {}).get("training") or {}
        out["precision"] = training.get("mixed_precision") or training.get("precision")
        out["splits"] = {f"{t}/{s}": card["n"] for t, e in doc["results"].items() for s, card in e["splits"].items()}
        card = doc["results"].get(args.holdout, {}).get("splits", {}).get("heldout_all")
        if card:
            out["heldout_all"] = {"n": card["n"], "posts": card["posts"], "accuracy": card["accuracy"]}
    else:
        out["stderr_tail"] = stderr[-2000:]
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
