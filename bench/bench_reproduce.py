"""Does a rerun reproduce a run, and what moves it? (docs/harness.md, "Reproducing a run")

Runs one `rmbench run` recipe several times in a fresh temporary folder, each in its own
process, and sets each run's weights and predictions beside the first's:

- *again*: the same settings (expected byte-identical: nothing in training or scoring is
  unseeded);
- *1 thread*: `OMP_NUM_THREADS=1` where the first used torch's default (another reduction
  order in every matrix product);
- *fp32*: `--mixed-precision no` (on a CPU with bf16, the other training precision).

For each: whether the weights hash and predictions.jsonl are identical, the largest change of
a reward and of a margin, how many pairs' outcomes flipped, and the held-out accuracy. Prints
one JSON object (``--json`` also writes it).

    python bench/bench_reproduce.py                 # the demo, a small budget (~4 runs of a minute)
    python bench/bench_reproduce.py -- --data DIR --holdout askacademia   # another recipe
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rmbench.machine import cpu_has_bf16, cpu_model

RECIPE = ["--holdout", "WritingPrompts", "--set", "data.max_train_pairs=256", "--limit", "200", "--quiet"]
VARIANTS = {"first": ([], {}), "again": ([], {}), "1 thread": ([], {"OMP_NUM_THREADS": "1"}),
            "fp32": (["--mixed-precision", "no"], {})}


def _run(work: Path, name: str, args: list[str], env: dict) -> Path:
    out = work / name.replace(" ", "-")
    cmd = [sys.executable, "-m", "rmbench.cli", "run", *args, "--out", str(out)]
    # the demo corpus built once in the scratch folder and shared by the runs (unless a cache is set)
    base = {"RMBENCH_CACHE": os.environ.get("RMBENCH_CACHE") or str(work / "cache")}
    proc = subprocess.run(cmd, cwd=work, env={**os.environ, **base, **env}, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{name}: rmbench run failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return out


def _predictions(run: Path) -> dict:
    rows = (json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines() if line.strip())
    return {(r["task"], r["split"], r["pair_id"]): (r["reward_chosen"], r["reward_rejected"]) for r in rows}


def _sig(x: float) -> float:
    """Four significant figures: a change of 1e-6 is still a change."""
    return float(f"{x:.4g}")


def set_beside(first: Path, other: Path) -> dict:
    """``other`` against ``first``: identical bytes, and how far the rewards moved where not."""
    a, b = _predictions(first), _predictions(other)
    shared = sorted(set(a) & set(b))
    doc_a, doc_b = (json.loads((r / "results.json").read_text()) for r in (first, other))
    heldout = doc_b["holdout"][0]
    return {"weights_identical": doc_a["model"]["weights_sha256"] == doc_b["model"]["weights_sha256"],
            "predictions_identical": (first / "predictions.jsonl").read_bytes() == (other / "predictions.jsonl").read_bytes(),
            "pairs": len(shared),
            "max_reward_change": _sig(max((abs(a[k][i] - b[k][i]) for k in shared for i in (0, 1)), default=0.0)),
            "max_margin_change": _sig(max((abs((a[k][0] - a[k][1]) - (b[k][0] - b[k][1])) for k in shared), default=0.0)),
            "outcomes_flipped": sum((a[k][0] > a[k][1]) != (b[k][0] > b[k][1]) for k in shared),
            "training_precision": doc_b["model"]["training"]["mixed_precision"],
            "torch_threads": (doc_b.get("hardware") or {}).get("torch_threads"),
            "heldout_accuracy": doc_b["results"][heldout]["splits"]["heldout_all"]["accuracy"]}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, help="also write the JSON here")
    ap.add_argument("--variants", default=",".join(v for v in VARIANTS if v != "first"),
                    help="comma-separated, of: " + ", ".join(v for v in VARIANTS if v != "first"))
    ap.add_argument("extra", nargs="*", help="after --: the recipe's `rmbench run` flags instead of the demo's")
    args = ap.parse_args(argv)
    recipe = args.extra or RECIPE
    wanted = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in VARIANTS or v == "first"]
    if unknown:
        ap.error(f"unknown variant(s) {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="rmbench-reproduce-") as tmp:
        work = Path(tmp)
        first = _run(work, "first", recipe, {})
        first_doc = json.loads((first / "results.json").read_text())
        report = {"script": "bench/bench_reproduce.py", "recipe": "rmbench run " + " ".join(recipe),
                  "cpu": cpu_model(), "cpu_bf16": cpu_has_bf16(), "cpu_count": os.cpu_count(),
                  "first": {"weights_sha256": first_doc["model"]["weights_sha256"],
                            "predictions_sha256": hashlib.sha256((first / "predictions.jsonl").read_bytes()).hexdigest(),
                            "training_precision": first_doc["model"]["training"]["mixed_precision"],
                            "torch_threads": (first_doc.get("hardware") or {}).get("torch_threads")},
                  "variants": {}}
        for name in wanted:
            flags, env = VARIANTS[name]
            report["variants"][name] = {"flags": flags, "env": env, **set_beside(first, _run(work, name, recipe + flags, env))}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return report


if __name__ == "__main__":
    main()
