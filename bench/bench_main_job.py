"""Wall time of the README's main job, `rmbench run --holdout WritingPrompts` with no other flags.

Runs it in a fresh temporary working directory (so the demo corpus is generated and
prepared too, as on a fresh machine), then prints one JSON object: wall time, the load
average around it (other processes on the same cores slow it down), the CPU seconds it
used (user+sys: neighbours inflate it less than the wall time), the held-out
accuracies and the best eligible baseline. BENCHMARKS.md quotes it.

    python bench/bench_main_job.py            # add --keep DIR to keep the run directory
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", help="copy the run directory here afterwards")
    ap.add_argument("extra", nargs="*", help="extra flags after `--` (default: none, the main job as documented)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rmbench-main-job-")
    env = {**os.environ, "RMBENCH_CACHE": os.path.join(work, "cache")}  # fresh demo corpus too
    before = os.getloadavg()
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "rmbench.cli", "run", "--holdout", "WritingPrompts", "--out", "run", *args.extra]
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {"command": "rmbench run --holdout WritingPrompts " + " ".join(args.extra), "exit_code": proc.returncode,
           "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "loadavg_before": before, "loadavg_after": os.getloadavg(),
           "cpu_count": os.cpu_count()}
    if proc.returncode == 0:
        doc = json.load(open(os.path.join(work, "run", "results.json")))
        wp = doc["results"]["writingprompts"]["splits"]
        out["results_wall_time_s"] = doc["wall_time_s"]
        out["training"] = {k: doc["model"]["training"][k] for k in ("train_pairs", "steps", "train_seconds", "pairs_per_s")}
        for split, card in wp.items():
            best = card["best_baseline"]
            out[split] = {"n": card["n"], "accuracy": card["accuracy"], "ci95": card["ci95"], "best_baseline": best,
                          "best_baseline_accuracy": card["baselines"][best]["accuracy"] if best else None,
                          "clears_best_baseline": card["clears_best_baseline"]}
        if args.keep:
            shutil.copytree(os.path.join(work, "run"), args.keep, dirs_exist_ok=True)
    else:
        out["stderr_tail"] = proc.stderr[-2000:]
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
