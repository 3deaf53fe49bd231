"""``rmbench sweep``: learning curves and the task-transfer matrix, one resumable cell at a time.

- Learning curves: for each model and each training size, one ``rmbench run`` of the
  held-out task (held-out test accuracy with its interval against training pairs).
- Transfer matrix: for each task T, train on T alone and evaluate on every task's test
  split (T's own test is the in-domain cell on the diagonal).

Every cell is a complete run directory under ``OUT/cells/``; a cell with results.json
is never recomputed, and an interrupted one continues from its checkpoint. The numbers
land in ``OUT/sweep.json`` and the figures in ``OUT/learning_curves.png`` and
``OUT/transfer.png``.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import click

from rmbench.run_cli import _errors, common_options, default_out, resolve_config

DEFAULT_SIZES = "250,1000,4000,all"


def _cell(base, run_dir: Path, console, progress, *, model=None, pairs=None, train_tasks=None, holdouts=None) -> dict:
    from rmbench.harness import run_holdout

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
            raise click.BadParameter(f"{part!r}: expected a number (250, 1k) or 'all'", param_hint="--sizes")
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


@click.command("sweep")
@click.option("--holdout", default="WritingPrompts", show_default=True, help="Held-out task of the learning curves.")
@click.option("--models", default="minilm", show_default=True, help="Comma-separated models for the learning curves.")
@click.option("--sizes", default=DEFAULT_SIZES, show_default=True, help="Training-pair counts (250, 1k, all).")
@click.option("--tasks", "transfer_tasks", help="Tasks of the transfer matrix [default: every task with train and test data].")
@click.option("--curves/--no-curves", default=True, help="Run the learning curves.")
@click.option("--transfer/--no-transfer", default=True, help="Run the transfer matrix.")
@click.option("--epochs", type=float, help="Passes over each cell's training pairs.")
@click.option("--resume", is_flag=True, help="Continue an interrupted sweep (the newest one without --out).")
@common_options
@click.pass_context
def sweep_cmd(ctx, holdout, models, sizes, transfer_tasks, curves, transfer, quiet, config_file, settings, **_):
    """Learning curves (held-out accuracy vs training pairs) and the transfer matrix, with PNG plots.

    \b
    Each cell is a full `rmbench run` under OUT/cells/, resumable; finished cells are
    never recomputed. Example:
      rmbench sweep --holdout WritingPrompts --models minilm --sizes 250,1k,all
    """
    from rich.console import Console

    from rmbench import plots
    from rmbench.datasource import available_tasks, resolve_data
    from rmbench.data import read_manifest
    from rmbench.results import write_json_atomic
    from rmbench.run_cli import _console

    try:
        base = resolve_config(ctx, config_file, settings)
        base.data.holdout = holdout
        out = Path(base.out) if base.out else default_out("sweep", holdout.lower(), ctx.params.get("resume"))
        console = _console()
        data_dir = resolve_data(base.data.source, base.data.cache_dir, progress=not quiet)
        base.data.source = str(data_dir)  # cells reuse the prepared directory
        manifest = read_manifest(data_dir)
        result = {"kind": "rmbench.sweep", "schema_version": 1, "data_fingerprint": manifest.get("fingerprint"),
                  "synthetic_data": bool(manifest["source"].get("synthetic")), "holdout": holdout.lower(),
                  "config": base.to_dict()}
        out.mkdir(parents=True, exist_ok=True)
        if curves:
            result["learning_curves"] = learning_curves(base, out, [m.strip() for m in models.split(",") if m.strip()],
                                                        parse_sizes(sizes), console, not quiet)
            pts = {m: [(p["train_pairs"], p["accuracy"], *(p["ci95"] or [None, None])) for p in v]
                   for m, v in result["learning_curves"].items()}
            first = next(iter(result["learning_curves"].values()), [])
            best = {first[0]["best_baseline"]: first[0]["best_baseline_accuracy"]} if first and first[0]["best_baseline"] else {}
            result["learning_curves_png"] = plots.learning_curves(pts, out / "learning_curves.png", best)
        if transfer:
            names = ([t.strip().lower() for t in transfer_tasks.split(",") if t.strip()] if transfer_tasks else
                     [t for t in available_tasks(data_dir) if manifest["tasks"][t]["splits"]["train"]["pairs"]
                      and manifest["tasks"][t]["splits"]["test"]["pairs"]])
            result["transfer"] = transfer_matrix(base, out, names, console, not quiet)
            result["transfer_png"] = plots.transfer_heatmap(names, names, result["transfer"]["accuracy"],
                                                            out / "transfer.png")
        write_json_atomic(out / "sweep.json", result)
    except _errors() as err:
        raise click.ClickException(str(err)) from err
    Console().print(f"sweep: {out / 'sweep.json'}")
