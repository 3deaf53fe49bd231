"""Wall time, CPU seconds and peak memory of the README's main job, `rmbench run --holdout WritingPrompts`.

Runs it with no other flags in a fresh temporary working directory and cache (so the demo
corpus is generated and prepared too, as on a fresh machine), then prints one JSON object:

- wall_s, cpu_s (user+sys of the job: neighbours on the same cores inflate it less than the
  wall time), peak_rss_mb (the job's largest resident set), the load average around it;
- precision: what the run printed it would train in (bf16 autocast or fp32), and whether
  this CPU has bf16 at all (``cpu_has_bf16``), so every figure says which path it measured;
- phases: seconds per step, read from when each output of the run directory was written
  (data + config, training, each scored split, the results/report step);
- the held-out accuracies with their intervals and the best eligible baseline.

BENCHMARKS.md quotes it.

    python bench/bench_main_job.py                          # the main job as documented
    python bench/bench_main_job.py -- --mixed-precision no  # the fp32 path on a bf16 CPU
    python bench/bench_main_job.py --keep runs/main-job     # keep the run directory
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rmbench.machine import cpu_has_bf16


def phases(run: Path, t0_wall: float) -> dict:
    """Seconds per step of the run, from the modification times of what each step wrote."""
    marks = [("data", run / "config.json")]
    model = run / "model"
    weights = sorted(model.glob("*.safetensors")) + sorted(model.glob("*.bin"))
    if weights:
        marks.append(("training", max(weights, key=lambda p: p.stat().st_mtime)))
    scores = sorted((run / "scores").glob("*.json"), key=lambda p: p.stat().st_mtime)
    marks += [(f"score {p.stem}", p) for p in scores]
    marks.append(("results, plots, report", run / "report.md"))
    out, last = {}, t0_wall
    for name, path in marks:
        if not path.exists():
            continue
        t = path.stat().st_mtime
        out[name] = round(t - last, 1)
        last = t
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", help="copy the run directory here afterwards")
    ap.add_argument("extra", nargs="*", help="extra flags after `--` (default: none, the main job as documented)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rmbench-main-job-"))
    env = {**os.environ, "RMBENCH_CACHE": str(work / "cache")}  # a fresh demo corpus too
    before = os.getloadavg()
    t0_wall, t0 = time.time(), time.perf_counter()
    cmd = [sys.executable, "-m", "rmbench.cli", "run", "--holdout", "WritingPrompts", "--out", "run", *args.extra]
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # ru_maxrss: the largest child, KiB on Linux
    said = [line for line in (proc.stderr + proc.stdout).splitlines() if line.startswith("precision:")]
    out = {"command": " ".join(["rmbench run --holdout WritingPrompts", *args.extra]), "exit_code": proc.returncode,
           "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
           "peak_rss_mb": round(usage.ru_maxrss / 1024), "precision": said[0] if said else None,
           "cpu_has_bf16": cpu_has_bf16(), "cpu_count": os.cpu_count(),
           "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
           "loadavg_before": before, "loadavg_after": os.getloadavg()}
    run = work / "run"
    if proc.returncode == 0:
        out["phases_s"] = phases(run, t0_wall)
        doc = json.loads((run / "results.json").read_text())
        out["training"] = {k: doc["model"]["training"].get(k) for k in ("train_pairs", "steps", "train_seconds",
                                                                       "pairs_per_s")}
        for split, card in doc["results"]["writingprompts"]["splits"].items():
            best = card["best_baseline"]
            out[split] = {"n": card["n"], "accuracy": card["accuracy"], "ci95": card["ci95"], "best_baseline": best,
                          "best_baseline_accuracy": card["baselines"][best]["accuracy"] if best else None,
                          "clears_best_baseline": card["clears_best_baseline"]}
        if args.keep:
            shutil.copytree(run, args.keep, dirs_exist_ok=True)
    else:
        out["stderr_tail"] = proc.stderr[-2000:]
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=2))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
