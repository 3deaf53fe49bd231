"""Reward-model kinds on the real dumps: smollm2 as a trained classifier beside minilm, as a judge,
and one classifier read in two input formats.

Each step is one `rmbench` command in a child process; its wall time, CPU time and peak
RSS come from ``os.wait4`` on that child (the process and everything it waited for), so
the two trainings are measured the same way in the same session. Prints one JSON object
(also written to OUT/bench.json) that BENCHMARKS.md quotes:

    python bench/bench_model_kinds.py --data ../shared/data/reddit-dumps --holdout askacademia \\
        --pairs 384 --judge-pairs 200 --out /tmp/kinds            # --steps minilm,smollm2 for a subset

Steps: ``minilm`` and ``smollm2`` (`rmbench run`, same pairs, epochs, batch and max length;
the learning rate is each model's: --minilm-lr, --smollm2-lr), ``judge`` (`rmbench evaluate
--model smollm2 --model-kind judge` on --judge-pairs held-out test pairs), ``pair`` (the
smollm2 classifier trained in chat format, scored again with --input-format pair) and
``agreement`` (per held-out split, how often the chat and pair readings give the same verdict).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], env: dict) -> dict:
    t0 = time.perf_counter()
    before = os.getloadavg()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"command": " ".join(cmd[2:]), "exit_code": proc.returncode, "wall_s": round(time.perf_counter() - t0, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "loadavg_before": [round(x, 2) for x in before], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            **({"stderr_tail": err[-1500:]} if proc.returncode else {})}


def card(split: dict) -> dict:
    best = split["best_baseline"]
    out = {"n": split["n"], "accuracy": split["accuracy"], "ci95": split["ci95"],
           "best_baseline": best, "best_baseline_accuracy": split["baselines"][best]["accuracy"] if best else None,
           "longer": split["baselines"]["longer"]["accuracy"], "random": split["baselines"]["random"]["accuracy"],
           "clears_best_baseline": split["clears_best_baseline"], "truncated": split["truncated"]}
    if "judge" in split:
        j = split["judge"]
        out["judge"] = {"position_consistency": j["position_consistency"], "first_position_rate": j["first_position_rate"],
                        "first_position_baseline": j["first_position_baseline"], "label_mass": j["label_mass"],
                        "accuracy_by_order": {k: v["accuracy"] for k, v in j["accuracy_by_order"].items()}}
    return out


def summary(run_dir: Path, holdout: str) -> dict:
    doc = json.loads((run_dir / "results.json").read_text())
    out = {"model_kind": doc["model"].get("model_kind"), "input_format": doc["model"]["input"]["input_format"],
           "max_length": doc["model"]["input"]["max_length"], "wall_time_s": doc["wall_time_s"],
           "splits": {f"{t}/{s}": card(c) for t, r in doc["results"].items() for s, c in r["splits"].items()}}
    training = doc["model"].get("training") or {}
    if training.get("train_pairs"):
        out["training"] = {k: training.get(k) for k in ("train_pairs", "steps", "train_seconds", "pairs_per_s",
                                                         "tokens_per_s", "mixed_precision", "truncated",
                                                         "best_validation_accuracy")}
    return out


def format_agreement(out: Path, holdout: str) -> dict:
    """Per held-out split: how often the chat and pair readings of one classifier agree on a pair."""
    import numpy as np

    def margins(run):
        rows = (json.loads(line) for line in (out / run / "predictions.jsonl").read_text().splitlines())
        return {(r["split"], r["pair_id"]): r["reward_chosen"] - r["reward_rejected"] for r in rows if r["task"] == holdout}

    chat, pair = margins("smollm2"), margins("pair")
    result = {}
    for split in sorted({k[0] for k in pair}):
        keys = [k for k in pair if k[0] == split]
        a, b = np.array([chat[k] for k in keys]), np.array([pair[k] for k in keys])
        result[split] = {"n": len(keys), "same_verdict": round(float(np.mean(np.sign(a) == np.sign(b))), 3),
                         "flipped": int(np.sum(np.sign(a) != np.sign(b))),
                         "margin_correlation": round(float(np.corrcoef(a, b)[0, 1]), 3)}
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the real dumps folder (or a prepared directory)")
    ap.add_argument("--holdout", default="askacademia")
    ap.add_argument("--pairs", type=int, default=384, help="training pairs for both classifiers")
    ap.add_argument("--judge-pairs", type=int, default=200, help="held-out test pairs the judge is asked")
    ap.add_argument("--minilm-lr", type=float, default=1e-4, help="rmbench's default for minilm")
    ap.add_argument("--smollm2-lr", type=float, default=3e-5, help="a 135M causal LM fine-tuned whole")
    ap.add_argument("--steps", default="minilm,smollm2,judge,pair,agreement")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    rm = [sys.executable, "-m", "rmbench.cli"]
    common = ["--data", args.data, "--quiet", "--seed", "0"]
    report = json.loads((out / "bench.json").read_text()) if (out / "bench.json").is_file() else {}
    report["cpu_count"] = os.cpu_count()
    for step in [s.strip() for s in args.steps.split(",") if s.strip()]:
        run_dir = out / step
        if step in ("minilm", "smollm2"):
            lr = args.minilm_lr if step == "minilm" else args.smollm2_lr
            cmd = rm + ["run", "--holdout", args.holdout, "--model", step, "--max-train-pairs", str(args.pairs),
                        "--learning-rate", str(lr), "--out", str(run_dir)] + common
        elif step == "judge":
            cmd = rm + ["evaluate", "--model", "smollm2", "--model-kind", "judge", "--tasks", args.holdout,
                        "--limit", str(args.judge_pairs), "--eval-batch-size", "8", "--out", str(run_dir)] + common
        elif step == "agreement":  # from the smollm2 and pair outputs already on disk
            report["format_agreement"] = format_agreement(out, args.holdout)
            continue
        elif step == "pair":
            cmd = rm + ["evaluate", "--model", str(out / "smollm2" / "model"), "--input-format", "pair",
                        "--tasks", args.holdout, "--out", str(run_dir)] + common
        else:
            raise SystemExit(f"unknown step {step!r}")
        result = timed(cmd, env)
        if result["exit_code"] == 0:
            result.update(summary(run_dir, args.holdout))
            if step == "judge":
                n = sum(c["n"] for c in result["splits"].values())
                result["seconds_per_pair"] = round(result["wall_s"] / n, 3)  # both orders asked, model load included
        report[step] = result
        (out / "bench.json").write_text(json.dumps(report, indent=2))
        print(f"{step}: exit {result['exit_code']}, {result['wall_s']} s", file=sys.stderr, flush=True)
    if "minilm" in report and "smollm2" in report and report["minilm"].get("training") and report["smollm2"].get("training"):
        a, b = report["smollm2"], report["minilm"]
        report["ratios_smollm2_over_minilm"] = {
            "train_pairs_per_s": round(a["training"]["pairs_per_s"] / b["training"]["pairs_per_s"], 3),
            "peak_rss": round(a["peak_rss_mib"] / b["peak_rss_mib"], 2), "wall": round(a["wall_s"] / b["wall_s"], 2)}
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
