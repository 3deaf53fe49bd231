"""Leave one community out: each task held out in turn, then one answer over all of them.

``rmbench sweep --leave-one-out`` runs one cell per task T of ``--tasks`` (default: every
task with train and test data): a full ``rmbench run --holdout T`` trained on the *other*
tasks of the list (without ``--tasks``: on every other task with training pairs, as
``rmbench run --holdout T`` trains), scored on every post of T (``heldout_all``, ``heldout_all_hard``). This
is the benchmark's question asked of every community instead of one, so the answer does not
depend on which community a paper happened to hold out.

Per task the row is the cell's own scorecard (results.json: accuracy, the paired difference
to ``baseline:confounds``, the stacked verdict). Over all tasks, two summaries, both with a
95% interval that resamples posts *within* each task (each task drawn independently, its
pairs whole with their post):

- **pooled**: accuracy over every held-out pair of every task (pair-weighted: big
  communities count more) and its paired difference to confounds on the same pairs;
- **mean of tasks**: the unweighted mean of the per-task accuracies (each community counts
  once, the leaderboard's mean, and like it leaving out a task whose split is under the
  report's minimum pairs or posts), and its difference to confounds' mean;
- in each, the **stacked** predictor (confounds plus the model's margin, fitted in each cell
  on its held-in validation pairs) against confounds and against the surface stack
  (confounds plus baseline:longer's margin, fitted the same way: ``rmbench.eval.stacked``):
  does the model add information beyond surface features, over all the communities at once?

Confounds is refitted in each cell on that cell's held-in tasks: the baseline a model of the
same cell must beat. Its per-pair outcomes come from the cell's ``scores/<task>.<split>.json``
(``baselines``, and ``confounds_logit``, which with results.json's stacked fit gives the
stacked predictor's), so the pooled difference pairs each model with exactly the baseline
and stacked predictor its own card used. A summary is "clears" only where its interval's lower bound is above 0.

**Seeds** (``--seeds 0,1,2``): the post-resampled intervals hold the trained model fixed, yet
another training seed (other sampled training pairs, another head initialisation, another
order) gives another model. With several seeds every task gets a cell per seed, each a full
run with ``seed`` set (the config's own seed keeps the plain ``loo-<task>`` cell, so seeds can
be added to a finished sweep), and every summary is taken on each pair's outcome averaged over
the seeds (the recipe's expected accuracy on that pair; its interval still resamples posts),
beside each seed's own summary and the spread of the seeds' differences: an answer that
holds for one seed and not another is not yet an answer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rmbench.jsonlimits import read_json_file

SPLITS = ("heldout_all", "heldout_all_hard")
VERSUS = "confounds"  # the baseline every summary difference is taken against


def cell_dir(out: Path, task: str, seed: int | None = None) -> Path:
    """Task ``task``'s cell; ``seed`` None (or the config's own seed, see ``seed_cells``) is the plain one."""
    return out / "cells" / (f"loo-{task}" if seed is None else f"loo-{task}-seed{seed}")


def seed_cells(seeds: list[int] | None, base_seed: int) -> list[tuple[int, int | None]]:
    """(seed, its cell's seed suffix) per seed: the config's own seed keeps the plain cell."""
    return [(s, None if s == base_seed else s) for s in (seeds or [base_seed])]


def run_cells(base, out: Path, tasks: list[str], console, progress, log, listed: bool = True,
              seeds: list[int] | None = None) -> dict[tuple[str, int], dict]:
    """One ``rmbench run`` per task and seed, trained on the other tasks; finished cells are
    read back. ``listed``: the tasks were named (--tasks), so each cell trains on the other
    named ones; else it trains as ``rmbench run --holdout T`` does, on every other task with
    training pairs (a task too small to hold out, with no test pairs, is still trained on).
    Returns each cell's results by (task, seed)."""
    from rmbench.errors import ConfigError
    from rmbench.run.sweep import _cell

    if len(tasks) < 2:
        raise ConfigError(f"--leave-one-out needs at least two tasks (got {', '.join(tasks) or 'none'}): "
                          "one is held out, the others are trained on")
    docs = {}
    base_seed = getattr(base, "seed", 0)
    for t in tasks:
        others = [u for u in tasks if u != t] if listed else None
        for seed, suffix in seed_cells(seeds, base_seed):
            what = f"leave one out, {t} held out, trained on {', '.join(others) if listed else 'every other task'}"
            log.start(what + (f", seed {seed}" if seeds and len(seeds) > 1 else ""), cell_dir(out, t, suffix))
            docs[t, seed] = _cell(base, cell_dir(out, t, suffix), console, progress, train_tasks=others, holdouts=[t],
                                  seed=seed)
    return docs


def card_row(task: str, doc: dict, split: str, seed: int | None = None) -> dict | None:
    """One held-out split of a run's results.json, flat: accuracy, confounds and the paired
    difference to it, the stacked verdict (None where the run has no such split)."""
    card = ((doc.get("results") or {}).get(task) or {}).get("splits", {}).get(split)
    if not card:
        return None
    conf = (card.get("baselines") or {}).get(VERSUS) or {}
    stacked = card.get("stacked") or {}
    return {"task": task, "split": split, "seed": seed, "train_tasks": doc.get("train_tasks"),
            "train_pairs": ((doc.get("model") or {}).get("training") or {}).get("train_pairs"),
            "n": card["n"], "posts": card["posts"], "too_small": card.get("too_small"),
            "sample": (card.get("sample") or {}).get("label"),
            "accuracy": card["accuracy"], "ci95": card["ci95"],
            "longer": ((card.get("baselines") or {}).get("longer") or {}).get("accuracy"),
            "confounds": conf.get("accuracy"), "diff_confounds": conf.get("diff"),
            "diff_confounds_ci95": conf.get("diff_ci95"),
            "best_baseline": card.get("best_baseline"), "clears_best_baseline": card.get("clears_best_baseline"),
            "stacked_diff": stacked.get("diff"), "stacked_diff_ci95": stacked.get("diff_ci95"),
            "adds_information": stacked.get("adds_information")}


def _outcomes(cell: Path, task: str, split: str) -> tuple[list[str], np.ndarray, np.ndarray | str, np.ndarray | None,
                                                        np.ndarray | None]:
    """Pair ids, the model's per-pair outcomes, confounds' (or why there are none), the
    stacked predictor's (None where the cell could not fit it) and the surface stack's (None
    for a cell from before it): from its fit in results.json and the split's confounds logits
    and length margins, as the cell's own card computed them."""
    from rmbench.eval.metrics import pair_outcomes
    from rmbench.eval.stacked import stacked_logits, surface_logits

    saved = read_json_file(cell / "scores" / f"{task}.{split}.json")
    model = pair_outcomes(saved["chosen"], saved["rejected"])
    results = cell / "results.json"
    fit = (read_json_file(results).get("stacked") or {}) if results.is_file() else {}
    stacked = surface = None
    if fit.get("available") and saved.get("confounds_logit") is not None:
        margin = np.asarray(saved["chosen"], dtype=float) - np.asarray(saved["rejected"], dtype=float)
        stacked = pair_outcomes(stacked_logits(fit, saved["confounds_logit"], margin), np.zeros(len(margin)))
        if saved.get("length_margin") is not None:
            logit = surface_logits(fit, saved["confounds_logit"], saved["length_margin"])
            surface = None if logit is None else pair_outcomes(logit, np.zeros(len(margin)))
    elif fit.get("available") and isinstance(saved.get("stacked"), list) and len(saved["stacked"]) == len(model):
        # a cell of rmbench before 95a5d2f wrote the stacked outcomes themselves: a finished sweep
        # resumed with more --seeds keeps its old cells, and their stacked summary with them
        stacked = np.asarray(saved["stacked"], dtype=float)
    conf = (saved.get("baselines") or {}).get(VERSUS)
    if conf is None:
        conf = "the cell's scores predate per-pair baseline outcomes (rerun the cell)"
    elif not isinstance(conf, str):
        conf = np.asarray(conf, dtype=float)
    return list(saved["pair_ids"]), model, conf, stacked, surface


def summarize(out: Path, tasks: list[str], split: str, samples: int, seed: int,
              min_pairs: int = 0, min_posts: int = 0, small: frozenset[str] | set[str] = frozenset(),
              seeds: list[int] | None = None, base_seed: int | None = None, read: dict | None = None) -> dict:
    """The pooled and mean-of-tasks summaries of one split over the tasks' cells. Tasks in
    ``small`` (their split under the report's minimum pairs or posts) count in no mean, as on
    the leaderboard; their pairs still count in the pooled figures, where a pair is a pair.
    ``seeds`` (the cells' training seeds; ``base_seed``, default ``seed``, is the one of the
    plain cells): with several, each pair's outcomes are averaged over the seeds' cells, and
    each seed's own summary (bootstrapped with that seed, as its cards were) and the spread of
    their differences come with it. ``seed`` seeds the post resampling. ``read``: each cell's
    outcomes by (cell, task), filled here, so that the seeds' own summaries read no file again."""
    from rmbench.eval.metrics import estimate, percentile_interval, post_ids_of, stratified_means
    from rmbench.eval.stacked import adds_information

    base_seed = seed if base_seed is None else base_seed
    runs = seed_cells(seeds, base_seed)
    read = {} if read is None else read
    strata, missing, why, no_stack, no_surface = [], [], None, None, None
    for t in tasks:
        got = {s: cell_dir(out, t, suffix) for s, suffix in runs}
        absent = [s for s, cell in got.items() if not (cell / "scores" / f"{t}.{split}.json").is_file()]
        if absent:
            missing.append(t if len(runs) == 1 else f"{t} (seed {', '.join(map(str, absent))})")
            continue
        per_seed, ids = [], None
        for s, cell in got.items():
            if (cell, t) not in read:
                read[cell, t] = _outcomes(cell, t, split)
            pair_ids, model, conf, stacked, surface = read[cell, t]
            if ids is None:
                ids = pair_ids
            elif pair_ids != ids:  # averaging needs the same pairs in the same order
                return {"split": split, "tasks": [], "missing": missing, "available": False,
                        "reason": f"{t}: the cells of seeds {runs[0][0]} and {s} scored different pairs "
                                  "(another prepared dataset or --limit?): their outcomes cannot be averaged"}
            if isinstance(conf, str):
                why = why or f"{t}: {conf}"
                conf = np.full(model.shape, np.nan)
            if stacked is None:
                no_stack = no_stack or f"{t}: the cell has no stacked predictor (its results.json says why)"
                stacked = np.full(model.shape, np.nan)
            if surface is None:  # a cell from before the surface stack: judged against confounds alone
                no_surface = no_surface or f"{t}: the cell predates the surface stack (rerun it)"
                surface = np.full(model.shape, np.nan)
            per_seed.append(np.stack([model, conf, stacked, surface]))
        strata.append((t, post_ids_of(ids), np.mean(per_seed, axis=0)))
    doc = {"split": split, "tasks": [s[0] for s in strata], "missing": missing}
    if not strata:
        return {**doc, "available": False, "reason": f"no task has a {split} split"}
    pooled, per = stratified_means([(posts, list(v)) for _, posts, v in strata], samples, seed)
    every = np.concatenate([v for _, _, v in strata], axis=1)  # (model, confounds, stacked, surface) x pairs
    n, posts_n = every.shape[1], sum(len(set(s[1])) for s in strata)
    too_small = n < min_pairs or posts_n < min_posts
    def iv(draws: np.ndarray) -> tuple[float, float]:  # the one interval rule, over every task's posts
        return percentile_interval(draws, clusters=posts_n)

    def verdict(ci: list) -> bool | None:
        """Above 0 (the lower bound), or None where the split is too small for a verdict."""
        return None if too_small or ci[0] is None else bool(ci[0] > 0)

    def block(point: np.ndarray, draws: np.ndarray) -> dict:
        """point: (4,) means; draws: (samples, 4) resampled means of model, confounds, stacked,
        surface stack."""
        acc = estimate(point[0], iv(draws[:, 0]))
        if why:
            return {"accuracy": acc, "confounds": None, "diff": None, "clears": None, "reason": why,
                    "stacked": None}
        diff = estimate(point[0] - point[1], iv(draws[:, 0] - draws[:, 1]))
        stacked = {"available": False, "reason": no_stack} if no_stack else {
            "accuracy": estimate(point[2], iv(draws[:, 2])),
            "diff": (d := estimate(point[2] - point[1], iv(draws[:, 2] - draws[:, 1])))}
        if not no_stack and not no_surface:
            stacked["surface_diff"] = estimate(point[2] - point[3], iv(draws[:, 2] - draws[:, 3]))
        if not no_stack:
            lows = [d["ci95"][0]] + ([stacked["surface_diff"]["ci95"][0]] if not no_surface else [])
            stacked["adds_information"] = adds_information(lows, too_small)
            if no_surface:
                stacked["note"] = no_surface
        return {"accuracy": acc, "confounds": round(float(point[1]), 6), "diff": diff,
                "clears": verdict(diff["ci95"]), "stacked": stacked}

    counted = [i for i, (t, _, _) in enumerate(strata) if t not in small]
    if counted:
        task_means = np.stack([strata[i][2].mean(axis=1) for i in counted])  # (tasks, 4)
        macro = {**block(task_means.mean(axis=0), per[counted].mean(axis=0)), "tasks": [strata[i][0] for i in counted],
                 "n": sum(strata[i][2].shape[1] for i in counted), "posts": sum(len(set(strata[i][1])) for i in counted)}
    else:
        macro = {"available": False, "reason": "every task's split is too small to count in a mean", "tasks": []}
    doc = {**doc, "available": True, "n": int(n), "posts": posts_n, "too_small": too_small,
           "excluded_too_small": [t for t, _, _ in strata if t in small],
           "pooled": block(every.mean(axis=1), pooled), "mean_of_tasks": macro}
    if len(runs) > 1:
        by_seed = {s: summarize(out, tasks, split, samples, s, min_pairs, min_posts, small, [s], base_seed, read)
                   for s, _ in runs}
        doc["seeds"] = [s for s, _ in runs]
        doc["by_seed"] = {str(s): b for s, b in by_seed.items()}
        for name in ("pooled", "mean_of_tasks"):
            if doc[name].get("available", True):
                doc[name]["over_seeds"] = _spread([b[name] for b in by_seed.values() if b.get("available")])
    return doc


def _spread(blocks: list[dict]) -> dict:
    """How the seeds' own summaries of one kind agree: the range of their differences to
    confounds (model, and stacked) and in how many the verdict holds."""
    blocks = [b for b in blocks if b.get("available", True)]
    diffs = [b["diff"]["value"] for b in blocks if b.get("diff")]
    stacked = [b["stacked"]["diff"]["value"] for b in blocks if (b.get("stacked") or {}).get("diff")]
    return {"seeds": len(blocks), "diff_range": [min(diffs), max(diffs)] if diffs else None,
            "clears": sum(bool(b.get("clears")) for b in blocks),
            "stacked_diff_range": [min(stacked), max(stacked)] if stacked else None,
            "adds_information": sum(bool((b.get("stacked") or {}).get("adds_information")) for b in blocks)}


def leave_one_out(base, out: Path, tasks: list[str], console, progress, log, listed: bool = True,
                  seeds: list[int] | None = None) -> dict:
    """Run (or read back) the cells and build sweep.json's ``leave_one_out`` block."""
    docs = run_cells(base, out, tasks, console, progress, log, listed, seeds)
    runs = [s for s, _ in seed_cells(seeds, base.seed)]
    rows = [r for t in tasks for s in runs for split in SPLITS if (r := card_row(t, docs[t, s], split, s))]
    ev = base.eval
    small = {split: {r["task"] for r in rows if r["split"] == split and r["too_small"]} for split in SPLITS}
    return {"tasks": tasks, "versus": VERSUS, "seeds": runs, "rows": rows,
            "summary": {split: summarize(out, tasks, split, ev.bootstrap_samples, base.seed, ev.min_report_pairs,
                                         ev.min_report_posts, small[split], runs) for split in SPLITS}}
