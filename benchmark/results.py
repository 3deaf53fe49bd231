"""results.json (docs/formats.md, schema_version 1), predictions.jsonl, provenance, atomic writes.

Programmatic use (what ``rmbench run`` and ``rmbench evaluate`` call)::

    doc = results_document(cfg=cfg, manifest=manifest, data_source="demo", model_info=info,
                           holdout=["writingprompts"], train_tasks=[...], results=per_task,
                           wall_time_s=12.3)
    write_json_atomic(run_dir / "results.json", doc)

``per_task`` maps task -> {"role": "heldout"|"in_domain", "splits": {split: scorecard}}
with scorecards from ``rmbench.scorecard.split_scorecard``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
from pathlib import Path

from rmbench import __version__
from rmbench.atomic import write_text_atomic

SCHEMA_VERSION = 1


def _clean(obj):
    """NaN/inf -> None (JSON has no NaN), tuples -> lists, recursively."""
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def write_json_atomic(path: str | Path, obj) -> None:
    write_text_atomic(path, json.dumps(_clean(obj), indent=2, ensure_ascii=False) + "\n")


def write_predictions(path: str | Path, pairs_by_split: dict, rewards_by_split: dict) -> None:
    """One line per evaluated pair: task, split, pair_id and both rewards."""
    lines = []
    for (task, split), pairs in pairs_by_split.items():
        rc, rr = rewards_by_split[(task, split)]
        for p, c, r in zip(pairs, rc, rr):
            lines.append(json.dumps({"task": task, "split": split, "pair_id": p["pair_id"],
                                     "reward_chosen": c, "reward_rejected": r}))
    write_text_atomic(path, "\n".join(lines) + ("\n" if lines else ""))


def git_commit() -> str | None:
    """The checkout's commit when rmbench runs from a git checkout, else None."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


def hardware() -> dict:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"device": "cuda" if gpu else "cpu", "torch": torch.__version__, "cpu_count": os.cpu_count(),
            "gpu": gpu, "gpu_count": torch.cuda.device_count() if gpu else 0,
            "python": platform.python_version(), "platform": platform.platform()}


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def data_block(source: str, manifest: dict, tasks: list[str]) -> dict:
    entries = {}
    for t in tasks:
        m = manifest["tasks"][t]
        entries[t] = {"version": str(m.get("version", "")),
                      "fingerprints": {s: v["fingerprint"] for s, v in m.get("splits", {}).items()}}
    return {"source": source, "manifest_fingerprint": manifest.get("fingerprint"), "tasks": entries}


def summary(results: dict) -> dict:
    """Means over held-out tasks of test and test_hard accuracy, and the best eligible baseline."""
    def mean(xs):
        xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
        return round(sum(xs) / len(xs), 6) if xs else None

    held = [r["splits"] for r in results.values() if r["role"] == "heldout"]
    acc = mean([s["test"]["accuracy"] for s in held if "test" in s])
    hard = mean([s["test_hard"]["accuracy"] for s in held if "test_hard" in s])
    best = mean([s["test"]["baselines"][s["test"]["best_baseline"]]["accuracy"]
                 for s in held if "test" in s and s["test"].get("best_baseline")])
    def all_clear(split):
        flags = [s[split]["clears_best_baseline"] for s in held if split in s]
        return all(f is True for f in flags) if flags else None

    return {"heldout_mean_accuracy": acc, "heldout_mean_accuracy_hard": hard, "best_baseline_mean": best,
            "margin_over_best_baseline": round(acc - best, 6) if acc is not None and best is not None else None,
            "clears_best_baseline": {"test": all_clear("test"), "test_hard": all_clear("test_hard")}}


def results_document(*, cfg: dict, manifest: dict, data_source: str, model_info: dict, holdout: list[str],
                     train_tasks: list[str], results: dict, wall_time_s: float | None,
                     flags: list[str] | None = None) -> dict:
    tasks = sorted(results)
    return {
        "kind": "rmbench.results", "schema_version": SCHEMA_VERSION,
        "rmbench_version": __version__, "git_commit": git_commit(), "created_utc": utc_now(),
        "synthetic_data": bool(manifest.get("source", {}).get("synthetic", False)),
        "data": data_block(data_source, manifest, tasks),
        "model": model_info,
        "config": cfg,
        "holdout": holdout, "train_tasks": train_tasks,
        "results": results,
        "summary": summary(results),
        "flags": flags or [],
        "wall_time_s": round(wall_time_s, 2) if wall_time_s is not None else None,
        "hardware": hardware(),
    }
