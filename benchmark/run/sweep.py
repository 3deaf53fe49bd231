"""Learning curves and the task-transfer matrix, one resumable cell at a time.

- Learning curves: for each model and each training size, one ``rmbench run`` of the
  held-out task (held-out test accuracy with its interval against training pairs).
- Transfer matrix: for each task T, train on T alone and evaluate on every task's test
  split (T's own test is the in-domain cell on the diagonal).

Every cell is a complete run directory under ``OUT/cells/``; a cell with results.json
is never recomputed, and an interrupted one continues from its checkpoint. The numbers
land in ``OUT/sweep.json`` and the figures in ``OUT/learning_curves.png`` and
``OUT/transfer.png``. The command is ``rmbench sweep`` (``rmbench.run.cli``).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from rmbench.errors import ConfigError

DEFAULT_SIZES = "250,1000,4000,all"


def _cell(base, run_dir: Path, console, progress, *, model=None, pairs=None, train_tasks=None, holdouts=None) -> dict:
    from rmbench.run.harness import run_holdout

    done = run_dir / "results.json"
    if done.is_file():
        return json.loads(done.read_text())
    cfg = copy.deepcopy(base)
    if model is not None:
        cfg.model.name = model
    if pairs is not None:
        cfg.data.max_train_pairs = pairs
    if train_tasks is not None:
        cfg.data.tasks = list(train_tasks)
    cfg.out = str(run_dir)
    cfg.train.resume = (run_dir / "config.json").is_file()
    return run_holdout(cfg, run_dir, console=console, progress=progress, holdouts=holdouts)


def parse_sizes(text: str) -> list[int]:
    """'250,1k,4000,all' -> [250, 1000, 4000, 0] (0 = all)."""
    sizes = []
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        m = re.fullmatch(r"(\d+)(k?)", part)
        if part == "all":
            sizes.append(0)
        elif m:
            sizes.append(int(m.group(1)) * (1000 if m.group(2) else 1))
        else:
            raise ConfigError(f"--sizes {part!r}: expected a number (250, 1k) or 'all'")
    return sizes


def learning_curves(base, out: Path, models: list[str], sizes: list[int], console, progress) -> dict:
    curves = {}
    for model in models:
        points = []
        for n in sizes:
            slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", model).strip("-")[-40:]
            doc = _cell(base, out / "cells" / f"curve-{slug}-{n or 'all'}", console, progress, model=model, pairs=n)
            held = doc["results"][doc["holdout"][0]]["splits"]
            test, hard = held["test"], held.get("test_hard", {})
            points.append({"requested": n or "all", "train_pairs": doc["model"]["training"]["train_pairs"],
                           "accuracy": test["accuracy"], "ci95": test["ci95"],
                           "accuracy_hard": hard.get("accuracy"), "ci95_hard": hard.get("ci95"),
                           "best_baseline": test["best_baseline"],
                           "best_baseline_accuracy": test["baselines"][test["best_baseline"]]["accuracy"]
                           if test["best_baseline"] else None})
        curves[model] = points
    return curves


def transfer_matrix(base, out: Path, tasks: list[str], console, progress) -> dict:
    matrix, cis = [], []
    for t in tasks:
        others = [u for u in tasks if u != t]
        doc = _cell(base, out / "cells" / f"transfer-{t}", console, progress, train_tasks=[t], holdouts=others)
        row, row_ci = [], []
        for u in tasks:
            card = doc["results"].get(u, {}).get("splits", {}).get("test")
            row.append(card["accuracy"] if card else None)
            row_ci.append(card["ci95"] if card else None)
        matrix.append(row)
        cis.append(row_ci)
    return {"train_tasks": tasks, "eval_tasks": tasks, "accuracy": matrix, "ci95": cis, "split": "test"}


def run_sweep(base, out: Path, *, holdout: str, models: list[str], sizes: list[int], transfer_tasks: list[str] | None,
              curves: bool = True, transfer: bool = True, console=None, progress: bool = True) -> dict:
    """Run (or resume) the sweep's cells under ``out`` and write ``out/sweep.json``; returns it."""
    from rmbench.atomic import write_json
    from rmbench.eval import plots
    from rmbench.prepared.manifest import Prepared
    from rmbench.prepared.resolve import resolve_data

    base.data.holdout = holdout
    data_dir = resolve_data(base.data.source, base.data.cache_dir, progress=progress)
    base.data.source = str(data_dir)  # cells reuse the prepared directory
    data = Prepared.open(data_dir)
    result = {"kind": "rmbench.sweep", "schema_version": 1, "data_fingerprint": data.fingerprint,
              "synthetic_data": data.synthetic, "holdout": holdout.lower(), "config": base.to_dict()}
    out.mkdir(parents=True, exist_ok=True)
    if curves:
        result["learning_curves"] = learning_curves(base, out, models, sizes, console, progress)
        pts = {m: [(p["train_pairs"], p["accuracy"], *(p["ci95"] or [None, None])) for p in v]
               for m, v in result["learning_curves"].items()}
        first = next(iter(result["learning_curves"].values()), [])
        best = {first[0]["best_baseline"]: first[0]["best_baseline_accuracy"]} if first and first[0]["best_baseline"] else {}
        result["learning_curves_png"] = plots.learning_curves(pts, out / "learning_curves.png", best)
    if transfer:
        names = [t.lower() for t in transfer_tasks] if transfer_tasks else data.tasks_with("train", "test")
        result["transfer"] = transfer_matrix(base, out, names, console, progress)
        result["transfer_png"] = plots.transfer_heatmap(names, names, result["transfer"]["accuracy"],
                                                        out / "transfer.png")
    write_json(out / "sweep.json", result)
    return result
