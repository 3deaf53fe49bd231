"""Learning curves and the task-transfer matrix, one resumable cell at a time.

- Learning curves: for each model and each training size, one ``rmbench run`` of the
  held-out task (held-out test accuracy with its interval against training pairs).
- Transfer matrix: for each task T, train on T alone and evaluate on every task's test
  split (T's own test is the in-domain cell on the diagonal). Per evaluated task U, the
  in-domain - held-out gap (diagonal minus each off-diagonal cell) comes with a paired,
  post-clustered interval: both models were scored on the same U test pairs.
- Few-shot adaptation (``--adapt 0,100,1000``, ``rmbench.run.adapt``): the transfer model
  fine-tuned on k pairs of the held-out task, scored on every post of it that no cell drew
  (``heldout_unseen``), each k paired with k = 0 on those pairs.
- Leave one out (``--leave-one-out``, ``rmbench.run.loo``): each task held out in turn,
  trained on the others, and the held-out results pooled over all of them.

Every cell is a complete run directory under ``OUT/cells/``; a cell with results.json
is never recomputed, and an interrupted one continues from its checkpoint. The numbers
land in ``OUT/sweep.json``, the figures in ``OUT/learning_curves.png``,
``OUT/transfer.png``, ``OUT/adapt.png`` and ``OUT/leave_one_out.png``, and both as a report in ``OUT/sweep.md`` and
``OUT/sweep.html`` (one self-contained page). Before the first cell, ``OUT/sweep-plan.json`` and
``OUT/sweep-config.json`` record what it was asked to run (``rmbench.run.sweep_plan``), so
``rmbench report`` can name the cells of a sweep that stopped and the command that continues it.
The command is ``rmbench sweep`` (``rmbench.run.cli``).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from rmbench.errors import ConfigError
from rmbench.eval.metrics import under_config_rule
from rmbench.run.adapt import SELECT
from rmbench.run.plan import hard_of
from rmbench.jsonlimits import read_json_file

DEFAULT_SIZES = "250,1000,4000,all"


class CellLog:
    """"sweep: cell 3 of 10 (...)" on stderr before each cell, so a log of a 40-minute sweep
    says where it is: the cells' own progress lines do not say which cell they belong to."""

    def __init__(self, total: int, console=None, progress: bool = True):
        self.total, self.done, self.console, self.progress = total, 0, console, progress

    def start(self, what: str, run_dir: Path) -> None:
        self.done += 1
        if not self.progress:
            return
        reused = " (finished before: read back)" if (run_dir / "results.json").is_file() else ""
        line = f"sweep: cell {self.done} of {self.total}: {what} -> {run_dir}{reused}"
        if self.console is not None:
            self.console.print(line, markup=False, highlight=False)
        else:
            import sys

            print(line, file=sys.stderr)


def _cell(base, run_dir: Path, console, progress, *, model=None, pairs=None, train_tasks=None, holdouts=None,
          seed=None) -> dict:
    from rmbench.run.cellproc import isolated, run_cell
    from rmbench.run.harness import run_holdout

    done = run_dir / "results.json"
    if done.is_file():
        return read_json_file(done)
    cfg = copy.deepcopy(base)
    if model is not None:
        cfg.model.name = model
    if pairs is not None:
        cfg.data.max_train_pairs = pairs
    if train_tasks is not None:
        cfg.data.train_tasks = list(train_tasks)
    if seed is not None:
        cfg.seed = seed
    cfg.out = str(run_dir)
    cfg.train.resume = (run_dir / "config.json").is_file()
    if isolated():  # a process per cell: its memory goes back when it ends (rmbench.run.cellproc)
        return run_cell(run_dir, run_holdout, cfg, run_dir, progress=progress, holdouts=holdouts)
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


def parse_seeds(text: str | None, applies: bool, flag: str = "--seeds") -> list[int] | None:
    """'0,1,2' -> [0, 1, 2] (each once, in order); None without ``flag`` (its name in the errors)."""
    if not text:
        return None
    if not applies:
        raise ConfigError(f"{flag} applies to --leave-one-out (a cell per task and seed) and --adapt (a fine-tuned "
                          "cell per k and draw seed); add one of them")
    seeds: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if not re.fullmatch(r"\d+", part):
            raise ConfigError(f"{flag} {part!r}: expected whole numbers, e.g. {flag} 0,1,2")
        if int(part) not in seeds:
            seeds.append(int(part))
    if not seeds:
        raise ConfigError(f"{flag}: no seed given (e.g. {flag} 0,1,2)")
    return seeds


# each curve point's comparison with confounds, on the headline split and its hard one
_VERSUS = ("confounds", "diff_confounds", "diff_confounds_ci95", "stacked_diff", "stacked_diff_ci95", "adds_information")


def curve_cell(out: Path, model: str, n: int) -> Path:
    """The learning-curve cell of ``model`` at ``n`` training pairs (0 = all)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", model).strip("-")[-40:]
    return out / "cells" / f"curve-{slug}-{n or 'all'}"


def transfer_cell(out: Path, task: str) -> Path:
    """The transfer matrix's cell trained on ``task`` alone."""
    return out / "cells" / f"transfer-{task}"


def adapt_cell(out: Path, k: int, seed: int | None = None, scratch: bool = False) -> Path:
    """The adaptation curve's cell fine-tuned on ``k`` held-out pairs (0: the transfer model);
    ``seed``: another draw seed's (``--seeds``; None or the config's own: the plain cell);
    ``scratch``: the cell trained on the same pairs from the base model alone (``--adapt-scratch``)."""
    name = f"adapt-{k}" + ("-scratch" if scratch else "")
    return out / "cells" / (name if seed is None else f"{name}-seed{seed}")


def _hard_key(key: str) -> str:
    """A point's key for the hard split: _hard before any _ci95 (diff_confounds_hard_ci95)."""
    return key.removesuffix("_ci95") + "_hard" + ("_ci95" if key.endswith("_ci95") else "")


def learning_curves(base, out: Path, models: list[str], sizes: list[int], console, progress,
                    log: CellLog | None = None) -> dict:
    """Per model, one point per size: the headline split (heldout_all, every held-out post;
    test where a cell lacks it), its hard counterpart, and test for comparison; on both the
    first two, the paired difference to confounds and the stacked verdict."""
    from rmbench.run.loo import card_row

    log = log or CellLog(len(models) * len(sizes), console, progress)
    curves = {}
    for model in models:
        points = []
        for n in sizes:
            cell = curve_cell(out, model, n)
            log.start(f"learning curve, {model}, {f'{n:,}' if n else 'all'} training pairs", cell)
            doc = _cell(base, cell, console, progress, model=model, pairs=n)
            held = doc["results"][doc["holdout"][0]]["splits"]
            split = "heldout_all" if "heldout_all" in held else "test"
            main = held[split]
            hard = held.get(hard_of(split), {})
            best = main["best_baseline"]
            # Confounds is fitted on every reference training pair whatever the size (run/evaluation.py),
            # so along a curve only the model moves: does more data take it past the surface features?
            row, row_hard = (card_row(doc["holdout"][0], doc, name) or {} for name in (split, hard_of(split)))
            versus = {**{k: row.get(k) for k in _VERSUS}, **{_hard_key(k): row_hard.get(k) for k in _VERSUS}}
            # n and the sample label: under --limit the split is a seeded sample, never "every post"
            points.append({**versus, "requested": n or "all", "train_pairs": doc["model"]["training"]["train_pairs"],
                           "split": split, "n": main["n"], "sample": (main.get("sample") or {}).get("label"),
                           "accuracy": main["accuracy"], "ci95": main["ci95"],
                           "accuracy_hard": hard.get("accuracy"), "ci95_hard": hard.get("ci95"),
                           "accuracy_test": held["test"]["accuracy"], "ci95_test": held["test"]["ci95"],
                           "best_baseline": best, "clears_best_baseline": main["clears_best_baseline"],
                           "best_baseline_accuracy": main["baselines"][best]["accuracy"] if best else None})
        curves[model] = points
    return curves


def transfer_matrix(base, out: Path, tasks: list[str], console, progress, log: CellLog | None = None) -> dict:
    log = log or CellLog(len(tasks), console, progress)
    matrix, cis, every, small = [], [], [], {}
    for t in tasks:
        others = [u for u in tasks if u != t]
        cell = transfer_cell(out, t)
        log.start(f"transfer matrix, trained on {t}", cell)
        doc = _cell(base, cell, console, progress, train_tasks=[t], holdouts=others)
        row, row_ci, row_all = [], [], []
        for u in tasks:
            splits = doc["results"].get(u, {}).get("splits", {})
            card = splits.get("test")
            row.append(card["accuracy"] if card else None)
            row_ci.append(card["ci95"] if card else None)
            row_all.append((splits.get("heldout_all") or {}).get("accuracy"))
        matrix.append(row)
        cis.append(row_ci)
        every.append(row_all)
        card = (doc["results"].get(t, {}).get("splits") or {}).get("test") or {}
        if card.get("too_small"):  # a task's test pairs are the same in every cell: its in-domain card says
            small[t] = {"n": card["n"], "posts": card["posts"]}
    return {"train_tasks": tasks, "eval_tasks": tasks, "accuracy": matrix, "ci95": cis, "split": "test",
            "accuracy_heldout_all": every, "too_small_test": small,
            "gaps": transfer_gaps(out, tasks, base.eval.bootstrap_samples, base.seed, base.eval)}


def transfer_gaps(out: Path, tasks: list[str], samples: int, seed: int, ev) -> dict:
    """Per evaluated task U and training task T != U: in-domain (trained on U) minus held-out
    (trained on T) accuracy on U's test pairs, with a paired post-clustered interval; ``too_small``
    under ``ev``'s (the eval config's) min_report_pairs / min_report_posts, as a split would be."""
    from rmbench.run.paired import cell_outcomes, paired_gap

    gaps: dict = {}
    for u in tasks:
        diag = cell_outcomes(transfer_cell(out, u), u, "test")
        for t in (t for t in tasks if t != u):
            gap = paired_gap(diag, cell_outcomes(transfer_cell(out, t), u, "test"), samples, seed, ev)
            if gap is not None:
                gaps.setdefault(u, {})[t] = gap
    return gaps


def adapt_curve(base, out: Path, ks: list[int], epochs: float, console, progress, model: str | None = None,
                log: CellLog | None = None, seeds: list[int] | None = None, lr: float | None = None,
                select: str = SELECT[0], scratch: bool = False) -> dict:
    """The k = 0 transfer cell, then per k > 0 one fine-tuned cell per draw seed (``rmbench.run.adapt``),
    at peak rate ``lr`` (default: train.learning_rate, the k = 0 cell's), its checkpoint chosen on
    ``select`` (held-in validation pairs, or a slice of its own drawn posts); with ``scratch`` also
    one cell per k and draw seed trained on the same pairs from the base model alone."""
    from rmbench.run.adapt import kept_of
    from rmbench.run.adapt_compare import adapt_points, adapt_split, compared
    from rmbench.run.loo import seed_cells

    runs = seed_cells(seeds, base.seed)  # the config's own seed keeps the plain adapt-<k> cell
    log = log or CellLog(1 + len(runs) * len([k for k in ks if k > 0]) * (2 if scratch else 1), console, progress)
    base = copy.deepcopy(base)
    base.model.name = model or base.model.name
    base.data.adapt_unseen = max(ks)  # every cell scores the posts no cell has seen (heldout_unseen)
    base.data.adapt_draws = [s for s, _ in runs] if len(runs) > 1 else []
    base_dir = adapt_cell(out, 0)
    log.start("adaptation, k = 0 (pure transfer)", base_dir)
    docs = {0: _cell(base, base_dir, console, progress)}
    cells, alone = {0: [(base.seed, base_dir)]}, {}
    for k in (k for k in ks if k > 0):
        for seed, suffix in runs:
            for fresh in (False, True) if scratch else (False,):
                cell = adapt_cell(out, k, suffix, scratch=fresh)
                log.start(f"adaptation, k = {k:,} held-out pairs" + (f", draw seed {seed}" if len(runs) > 1 else "")
                          + (f", from {base.model.name} alone" if fresh else ""), cell)
                doc = _adapted(base, base_dir, cell, k, epochs, console, progress, seed=seed, lr=lr, select=select,
                               scratch=fresh)
                (alone if fresh else cells).setdefault(k, []).append((seed, cell))
                if not fresh and (suffix is None or k not in docs):  # the config seed's cell stands for k's card
                    docs[k] = doc
    holdout = docs[0]["holdout"][0]
    split = adapt_split(docs, holdout)
    extra = compared(cells, holdout, split, base.eval, base.eval.bootstrap_samples, base.seed, scratch=alone)
    points = adapt_points(docs, holdout, split, extra, [s for s, _ in runs])
    if select == "own":  # per point, what each draw seed's cell kept: a checkpoint, or the starting model
        for point in points:
            point["kept"] = {str(s): kept_of(c) for s, c in cells[point["k"]]} if point["k"] else None
    return {"holdout": holdout, "split": split, "epochs": epochs, "learning_rate": base.train.learning_rate if lr is None else lr,
            "select": select, "scratch": scratch, "left_out_posts": _left_out(docs[0], holdout, split),
            "seeds": [s for s, _ in runs] if len(runs) > 1 else None, "points": points}


def _adapted(base, base_dir: Path, cell: Path, k: int, epochs: float, console, progress, **kw) -> dict:
    """One cell of the curve past k = 0, in a process of its own unless it finished before."""
    from rmbench.run.adapt import run_adapted
    from rmbench.run.cellproc import isolated, run_cell

    if isolated() and not (cell / "results.json").is_file():
        return run_cell(cell, run_adapted, base, base_dir, cell, k, epochs, progress=progress, **kw)
    return run_adapted(base, base_dir, cell, k, epochs, console, progress, **kw)


def _left_out(doc: dict, holdout: str, split: str) -> int | None:
    """How many posts of the held-out task the curve's largest k drew (heldout_unseen leaves them out)."""
    return ((doc["results"][holdout]["splits"][split].get("left_out") or {}).get("posts")
            if split == "heldout_unseen" else None)


@under_config_rule
def run_sweep(base, out: Path, *, holdout: str, models: list[str], sizes: list[int], transfer_tasks: list[str] | None,
              curves: bool = True, transfer: bool = True, console=None, progress: bool = True,
              adapt: list[int] | None = None, adapt_epochs: float = 3.0, adapt_lr: float | None = None,
              adapt_select: str = SELECT[0], adapt_scratch: bool = False, leave_one_out: bool = False,
              seeds: list[int] | None = None) -> dict:
    """Run (or resume) the sweep's cells under ``out`` and write ``out/sweep.json``; returns it.
    ``seeds``: the leave-one-out cells' training seeds (a cell per task and seed)."""
    from rmbench.atomic import write_json
    from rmbench.prepared.manifest import Prepared
    from rmbench.run.sweep_plan import planned_cells, write_plan
    from rmbench.run.sweep_plots import draw_plots
    from rmbench.run.sweep_report import write_sweep_report
    from rmbench.prepared.resolve import resolve_data
    from rmbench.run.cellproc import cell_processes

    base.data.holdout = holdout
    data_dir = resolve_data(base.data.source, base.data.cache_dir, progress=progress, split_by=base.data.split_by)
    base.data.source = str(data_dir)  # cells reuse the prepared directory
    data = Prepared.open(data_dir)
    result = {"kind": "rmbench.sweep", "schema_version": 1, "data_fingerprint": data.fingerprint,
              "synthetic_data": data.synthetic, "holdout": holdout.lower(), "config": base.to_dict()}
    # a typo fails here, before the folder is made or a cell is announced; --holdout only names
    # the curves' held-out task, so a leave-one-out or transfer sweep does not need one in the data
    for name in [*([holdout] if curves or adapt else []), *(transfer_tasks or [])]:
        data.key(name)
    out.mkdir(parents=True, exist_ok=True)
    listed = [t.lower() for t in transfer_tasks] if transfer_tasks else data.tasks_with("train", "test")
    names = listed if transfer else []
    ks = sorted(set(adapt) | {0}) if adapt else []
    loo = listed if leave_one_out else []
    cells = planned_cells(out, base.seed, models=models, sizes=sizes if curves else [], transfer_tasks=names, ks=ks,
                          loo_tasks=loo, seeds=seeds, scratch=adapt_scratch)
    # before the first cell: a sweep that stops is then named, with the command that continues it (rmbench report)
    write_plan(out, result["config"], {"out": str(out), "holdout": holdout, "models": models, "sizes": sizes, "tasks": transfer_tasks,
                                       "curves": curves, "transfer": transfer, "adapt": ks, "adapt_epochs": adapt_epochs, "adapt_lr": adapt_lr,
                                       "adapt_select": adapt_select, "adapt_scratch": adapt_scratch,
                                       "leave_one_out": leave_one_out, "seeds": seeds}, cells)
    log = CellLog(len(cells), console, progress)
    with cell_processes():  # under RMBENCH_CELL_START=forkserver, the server the cells fork from lives as long as the sweep
        if curves:
            result["learning_curves"] = learning_curves(base, out, models, sizes, console, progress, log)
        if transfer:
            result["transfer"] = transfer_matrix(base, out, names, console, progress, log)
        if adapt:
            result["adapt"] = adapt_curve(base, out, ks, adapt_epochs, console, progress,
                                          model=models[0] if models else None, log=log, seeds=seeds, lr=adapt_lr,
                                          select=adapt_select, scratch=adapt_scratch)
        if leave_one_out:
            from rmbench.run.loo import leave_one_out as run_loo

            cells = copy.deepcopy(base)
            cells.model.name = models[0] if models else base.model.name
            result["leave_one_out"] = run_loo(cells, out, loo, console, progress, log, listed=bool(transfer_tasks),
                                             seeds=seeds)
    result.update(draw_plots(result, out))  # from the numbers above alone, as `rmbench report` redraws them
    write_json(out / "sweep.json", result)
    write_sweep_report(result, out)
    return result
