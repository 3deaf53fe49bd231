"""Scoring in bfloat16 against float32: one trained model, every pair of a held-out split.

    python bench/bench_score_dtype.py --data ../shared/data/reddit-dumps --holdout gradschool \
        --model runs/gs/model --max-length 128

The rows are the ones a default `rmbench run --holdout` scores (``heldout_rows``), each dtype
scores them through the harness's ``score_rows`` with a fresh ``RewardScorer`` (unique inputs
once, length-sorted batches), the two alternate ``--rounds`` times and the fastest of each is
kept. Then what the dtype changes: the rewards (largest and median difference), the pairs whose
outcome flips, the accuracy of each with the paired difference bf16 - fp32 (posts resampled
whole), and each one's paired difference to baseline:confounds. Prints one JSON object;
BENCHMARKS.md quotes it. It records whether this CPU has AVX512-BF16/AMX: without them bf16
runs emulated and is slower, not faster.

``--other-isa``: each dtype's rewards once more in a child process whose math libraries are held
to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2``), as a
CPU without AVX-512 or bf16 would compute them, and how many differ from this machine's by more
than ``leaderboard verify`` tolerates: what a re-score on such a machine would find.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DTYPES = ("float32", "bfloat16")


def timed_scores(model: str, rows: list[dict], dtype: str, max_length: int, batch_size: int | None) -> dict:
    from rmbench.model.scoring import RewardScorer
    from rmbench.run.harness import score_rows

    scorer = RewardScorer(model, max_length=max_length, batch_size=batch_size, dtype=dtype)
    scorer.memo = {}
    wall, cpu = time.perf_counter(), time.process_time()
    saved = score_rows(scorer, rows, with_delay=False, seed=0)
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu, "inputs": scorer.unique_scored,
            "chosen": saved["chosen"], "rejected": saved["rejected"]}


AVX2_ONLY = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def other_isa(argv: list[str], first: dict) -> dict:
    """Per dtype: the largest reward difference between this process and an AVX2-only child,
    and how many rewards differ beyond verify's tolerance."""
    from rmbench.leaderboard.verify import REWARD_ATOL, REWARD_RTOL

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rewards.json"
        subprocess.run([sys.executable, __file__, *argv, "--child-rewards", str(out)], check=True,
                       env={**os.environ, **AVX2_ONLY}, stdout=subprocess.DEVNULL)
        theirs = json.loads(out.read_text())
    report = {"env": AVX2_ONLY}
    for name in DTYPES:
        mine = first[name]["chosen"] + first[name]["rejected"]
        gaps = [abs(a - b) for a, b in zip(mine, theirs[name])]
        report[name] = {"max_abs_diff": max(gaps), "rewards": len(gaps),
                        "beyond_verify_tolerance": sum(g > REWARD_ATOL + REWARD_RTOL * abs(a) for g, a in zip(gaps, mine))}
    return report


def compare(rows: list[dict], got: dict, confounds, samples: int) -> dict:
    import numpy as np

    from rmbench.eval.metrics import ClusterBootstrap, pair_outcomes, post_ids_of
    from rmbench.eval.scorecard import baseline_outcomes

    posts = post_ids_of([r["pair_id"] for r in rows])
    boot = ClusterBootstrap(posts, samples, 0)
    out = {name: pair_outcomes(got[name]["chosen"], got[name]["rejected"]) for name in DTYPES}
    conf = baseline_outcomes(rows, 0, confounds).get("confounds")
    rewards = {n: np.asarray(got[n]["chosen"] + got[n]["rejected"], dtype=float) for n in DTYPES}
    gap = np.abs(rewards["bfloat16"] - rewards["float32"])
    diff, ci = boot.diff(out["bfloat16"], out["float32"])
    report = {"pairs": len(rows), "posts": len(set(posts)), "max_abs_reward_diff": float(gap.max()),
              "median_abs_reward_diff": float(np.median(gap)), "reward_spread_fp32": float(rewards["float32"].std()),
              "outcomes_flipped": int((out["bfloat16"] != out["float32"]).sum()),
              "bf16_minus_fp32": {"diff": diff, "ci95": list(ci)}}
    for name in DTYPES:
        entry = {"accuracy": float(out[name].mean())}
        if conf is not None and not isinstance(conf, str):
            d, c = boot.diff(out[name], np.asarray(conf, dtype=float))
            entry.update({"confounds": float(np.mean(conf)), "diff_confounds": d, "diff_confounds_ci95": list(c)})
        report[name] = entry
    return report


def main(argv: list[str] | None = None) -> dict:
    import torch

    from rmbench.leaderboard.tracks import heldout_rows
    from rmbench.model.train import resolve_precision
    from rmbench.prepared.manifest import Prepared
    from rmbench.prepared.resolve import resolve_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "reddit-dumps"))
    ap.add_argument("--holdout", default="gradschool")
    ap.add_argument("--model", required=True, help="a trained reward model directory (a run's model/)")
    ap.add_argument("--split", default="heldout_all")
    ap.add_argument("--max-length", type=int, default=128, help="the length the model was trained at")
    ap.add_argument("--batch-size", type=int, default=None, help="scoring batch [default: the device's]")
    ap.add_argument("--rounds", type=int, default=2, help="alternations of the two dtypes; fastest of each")
    ap.add_argument("--limit", type=int, default=0, help="score only the first N pairs (a quick look)")
    ap.add_argument("--samples", type=int, default=1000, help="post resamples for the intervals")
    ap.add_argument("--other-isa", action="store_true", help="also re-score both dtypes with the math libraries held "
                                                              "to AVX2 and count the rewards verify would refuse")
    ap.add_argument("--child-rewards", help=argparse.SUPPRESS)  # --other-isa's child: write each dtype's rewards here
    args = ap.parse_args(argv)

    data = Prepared.open(resolve_data(args.data, "", progress=False))
    plan, by_split = heldout_rows(data, [args.holdout], (args.split,))
    rows = by_split[(args.holdout, args.split)]
    rows = rows[:args.limit] if args.limit else rows
    if args.child_rewards:
        got = {d: timed_scores(args.model, rows, d, args.max_length, args.batch_size) for d in DTYPES}
        Path(args.child_rewards).write_text(json.dumps({d: got[d]["chosen"] + got[d]["rejected"] for d in DTYPES}))
        return {}
    load = os.getloadavg()[0]
    runs: dict[str, list[dict]] = {d: [] for d in DTYPES}
    for _ in range(args.rounds):
        for dtype in DTYPES:
            runs[dtype].append(timed_scores(args.model, rows, dtype, args.max_length, args.batch_size))
    best = {d: min(runs[d], key=lambda r: r["wall_s"]) for d in DTYPES}
    first = {d: runs[d][0] for d in DTYPES}  # every round gives the same rewards; the first is kept
    result = {
        "model": str(Path(args.model)), "task": args.holdout, "split": args.split, "max_length": args.max_length,
        "cpu_bf16": resolve_precision("auto") == "bf16" and not torch.cuda.is_available(),
        "threads": torch.get_num_threads(), "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
        "inputs": best["float32"]["inputs"],
        "time": {d: {"wall_s": [round(r["wall_s"], 2) for r in runs[d]], "cpu_s": [round(r["cpu_s"], 2) for r in runs[d]]}
                 for d in DTYPES},
        "speedup_wall": round(best["float32"]["wall_s"] / best["bfloat16"]["wall_s"], 3),
        "speedup_cpu": round(statistics.median(r["cpu_s"] for r in runs["float32"])
                             / statistics.median(r["cpu_s"] for r in runs["bfloat16"]), 3),
        **compare(rows, first, plan.confounds or plan.confounds_missing, args.samples),
    }
    if args.other_isa:
        passed = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--other-isa"]
        result["other_isa"] = other_isa(passed, first)
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
