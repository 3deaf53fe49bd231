"""What `rmbench sweep` prints when it ends, and its report: its numbers as tables, read from sweep.json.

Why: a sweep runs for many minutes and its figures were only in sweep.json and the PNGs, so
a log of the run ended with a path. Now it ends like `rmbench run`, with its results:

- ``table`` (for people): one table per part that ran -- the learning curves, the transfer
  matrix (rows: trained on, columns: evaluated on) on test and on every held-out post, its
  in-domain - held-out gaps, the few-shot adaptation curve, and leave-one-out (each task
  held out in turn, then pooled over them);
- ``tsv``/``csv``/``json`` (for programs): one long table of every point, a row each, so
  that one header describes the whole output (``points_sheet``);
- ``sweep.md`` and ``sweep.html`` beside sweep.json: the same tables with the plots, the page
  self-contained (``write_sweep_report``, ``rmbench.htmlpage``).

Every value is sweep.json's own; nothing is recomputed here.
"""

from __future__ import annotations

from rmbench.run.plan import hard_of
from rmbench.tables import Column, Sheet

_PCT, _CI = "pct", "pct_ci"


def _limit(result: dict) -> int | None:
    """The sweep's --limit (data.limit): every scored split was then a seeded sample."""
    return ((result.get("config") or {}).get("data") or {}).get("limit") or None


def scope(result: dict, split: str) -> str:
    """What a held-out split of this sweep holds, in words: every post, or a sample (--limit)."""
    limit = _limit(result)
    if limit:
        return f"{split}: a sample of at most {limit:,} pairs, --limit"
    return f"{split}: every held-out post" if split == "heldout_all" else split


def curve_sheet(result: dict) -> Sheet | None:
    curves = result.get("learning_curves")
    if not curves:
        return None
    first = next((p for pts in curves.values() for p in pts), {})
    split = first.get("split", "heldout_all")
    hard = hard_of(split)
    sheet = Sheet([Column("model"), Column("train_pairs", "train pairs", "int"), Column("n", "pairs scored", "int"),
                   Column("accuracy", f"{split} %", _PCT), Column("ci95", "95% CI", _CI),
                   Column("accuracy_hard", f"{hard} %", _PCT), Column("ci95_hard", "95% CI", _CI),
                   # the baseline and verdict columns name their split: after "test %" they read as test's
                   Column("accuracy_test", "test %", _PCT), Column("best_baseline", f"best baseline, {split}"),
                   Column("best_baseline_accuracy", "its %", _PCT),
                   Column("clears_best_baseline", f"clears it, {split}", "bool"),
                   Column("diff_confounds", f"Δ confounds, {split}", "pp"), Column("diff_confounds_ci95", "Δ 95% CI", "pp_ci"),
                   Column("diff_confounds_hard", f"Δ confounds, {hard}", "pp"),
                   Column("diff_confounds_hard_ci95", "Δ 95% CI", "pp_ci"),
                   Column("stacked_diff", f"Δ stacked, {split}", "pp"),
                   Column("adds_information", f"adds info, {split}", "bool"),
                   Column("stacked_diff_hard", f"Δ stacked, {hard}", "pp")],
                  title=f"Learning curves: held-out {result.get('holdout', '')} ({scope(result, split)}; "
                        "Δ = model - confounds, paired; Δ stacked: confounds + the model's margin, minus confounds)")
    for model, points in curves.items():
        for p in points:
            sheet.add(model, p["train_pairs"], p.get("n"), p["accuracy"], p["ci95"], p.get("accuracy_hard"),
                      p.get("ci95_hard"), p.get("accuracy_test"), p.get("best_baseline"),
                      p.get("best_baseline_accuracy"), p.get("clears_best_baseline"), p.get("diff_confounds"),
                      p.get("diff_confounds_ci95"), p.get("diff_confounds_hard"), p.get("diff_confounds_hard_ci95"),
                      p.get("stacked_diff"), p.get("adds_information"), p.get("stacked_diff_hard"))
    return sheet


def transfer_sheet(result: dict, split: str = "test") -> Sheet | None:
    """The matrix on ``test`` (in-domain on the diagonal) or on ``heldout_all`` (every post of
    the evaluated task: off the diagonal only, a task's own posts are not held out from it)."""
    t = result.get("transfer")
    key = "accuracy" if split == "test" else f"accuracy_{split}"
    if not t or not t.get(key):
        return None
    title = ("Transfer matrix: test accuracy % (rows: trained on; columns: evaluated on; the diagonal is in-domain)"
             if split == "test" else
             f"Transfer matrix: {split} accuracy %, "
             + (f"a sample of at most {_limit(result):,} pairs of each evaluated task (--limit)" if _limit(result)
                else "every post of the evaluated task") + " (off the diagonal)")
    small = t.get("too_small_test") or {}
    if split == "test" and small:
        title += "; too small to count: " + ", ".join(f"{u} ({c['n']:,} pairs from {c['posts']:,} posts)"
                                                      for u, c in small.items())
    sheet = Sheet([Column("train_task", "trained on")] + [Column(f"on_{u}", u, _PCT) for u in t["eval_tasks"]],
                  title=title)
    for name, row in zip(t["train_tasks"], t[key]):
        sheet.add(name, *row)
    return sheet


def gap_sheet(result: dict) -> Sheet | None:
    gaps = (result.get("transfer") or {}).get("gaps")
    if not gaps:
        return None
    sheet = Sheet([Column("eval_task", "evaluated on"), Column("train_task", "trained on"),
                   Column("gap", "in-domain - held-out pp", "pp"), Column("ci95", "95% CI", "pp_ci"),
                   Column("n", "pairs", "int"), Column("posts", "posts", "int"),
                   Column("too_small", "too small?", "bool")],
                  title="In-domain - held-out gap on each task's test pairs (paired, post-clustered; too small: "
                        "under eval.min_report_pairs/posts, shown, never counted)")
    for u, by_train in gaps.items():
        for t, g in by_train.items():
            sheet.add(u, t, g["value"], g["ci95"], g["n"], g["posts"], g.get("too_small"))
    return sheet


def _by_seed(point: dict) -> str | None:
    """Each draw seed's own paired gain over k = 0, in points: the spread the average hides."""
    by = point.get("gain_by_seed")
    return ", ".join(f"{s}: {100 * g['value']:+.1f}" for s, g in by.items() if g) if by else None


def _kept(point: dict) -> str | None:
    """``--adapt-select own``: the model a k > 0 cell scored with; "start" explains a gain of exactly +0.0."""
    kept, start = point.get("kept") or {}, sum(v == "start" for v in (point.get("kept") or {}).values())
    if len(kept) == 1:
        return "start" if start else "fine-tuned"
    return f"start in {start} of {len(kept)}" if kept else None


def adapt_sheet(result: dict) -> Sheet | None:
    a = result.get("adapt")
    if not a:
        return None
    split = a.get("split", "test")
    hard = hard_of(split)
    unseen, seeded, alone = split == "heldout_unseen", bool(a.get("seeds")), any(p.get("scratch") for p in a["points"])
    own = a.get("select") == "own"
    sheet = Sheet([Column("k", kind="int"), Column("train_pairs", "adapt pairs", "int"), Column("accuracy", f"{split} %", _PCT),
                   Column("ci95", "95% CI", _CI), Column("gain", "Δ k = 0", "pp"), Column("gain_ci95", "Δ 95% CI", "pp_ci"),
                   *([Column("gain_by_seed", "Δ by draw seed")] if seeded else []),
                   *([Column("kept", "model kept")] if own else []),
                   Column("diff_confounds", "Δ confounds", "pp"), Column("diff_confounds_ci95", "Δ 95% CI", "pp_ci"),
                   *([Column("scratch", "from scratch %", _PCT), Column("over_scratch", "Δ scratch", "pp"),
                      Column("over_scratch_ci95", "Δ 95% CI", "pp_ci")] if alone else []),
                   Column("accuracy_hard", f"{hard} %", _PCT), Column("ci95_hard", "95% CI", _CI),
                   *([Column("accuracy_test", "test %", _PCT)] if unseen else []),
                   Column("longer", "longer-wins %", _PCT), Column("confounds", "confounds %", _PCT),
                   Column("clears_best_baseline", "clears best", "bool")],
                  title=f"Few-shot adaptation: held-out {a['holdout']} (k = 0 is pure transfer; Δ: paired on the same pairs"
                        + (f"; k > 0 averaged over draw seeds {', '.join(map(str, a['seeds']))}" if seeded else "")
                        + ("; checkpoints chosen on each draw's own held-aside posts, model kept 'start' where none beat the "
                           "model it started from)" if own else ")"))
    for p in a["points"]:
        gain, conf, over = p.get("gain") or {}, p.get("diff_confounds") or {}, p.get("over_scratch") or {}
        sheet.add(p["k"], p["train_pairs"], p["accuracy"], p["ci95"], gain.get("value"), gain.get("ci95"),
                  *([_by_seed(p)] if seeded else []), *([_kept(p)] if own else []), conf.get("value"), conf.get("ci95"),
                  *([(p.get("scratch") or {}).get("value"), over.get("value"), over.get("ci95")] if alone else []),
                  p.get("accuracy_hard"), p.get("ci95_hard"), *([p.get("accuracy_test")] if unseen else []),
                  p.get("longer"), p.get("confounds"), p.get("clears_best_baseline"))
    return sheet


def _seeds(result: dict) -> list:
    """The leave-one-out cells' training seeds when there are several (``--seeds``), else []."""
    seeds = (result.get("leave_one_out") or {}).get("seeds") or []
    return seeds if len(seeds) > 1 else []


def loo_sheet(result: dict) -> Sheet | None:
    """--leave-one-out: one row per held-out task (and seed) and split, each its own cell's scorecard."""
    loo = result.get("leave_one_out")
    if not loo or not loo.get("rows"):
        return None
    seeded = bool(_seeds(result))
    sheet = Sheet([Column("task", "held out"), *([Column("seed", kind="int")] if seeded else []), Column("split"),
                   Column("train_pairs", "train pairs", "int"),
                   Column("n", "pairs", "int"), Column("posts", kind="int"), Column("accuracy", "model %", _PCT),
                   Column("ci95", "95% CI", _CI), Column("longer", "longer-wins %", _PCT),
                   Column("confounds", "confounds %", _PCT), Column("diff_confounds", "Δ confounds", "pp"),
                   Column("diff_confounds_ci95", "Δ 95% CI", "pp_ci"), Column("stacked_diff", "Δ stacked", "pp"),
                   Column("stacked_diff_ci95", "Δ stacked 95% CI", "pp_ci"),
                   Column("adds_information", "adds info?", "bool")],
                  title="Leave one out: each task held out in turn, trained on the others "
                        f"({scope(result, 'heldout_all')}; Δ = model - confounds, paired)")
    for r in loo["rows"]:
        sheet.add(r["task"], *([r.get("seed")] if seeded else []), r["split"], r.get("train_pairs"), r["n"], r["posts"],
                  r["accuracy"], r["ci95"],
                  r.get("longer"), r.get("confounds"), r.get("diff_confounds"), r.get("diff_confounds_ci95"),
                  r.get("stacked_diff"), r.get("stacked_diff_ci95"), r.get("adds_information"))
    return sheet


def _summaries(result: dict):
    """(split, name, seed, summary, its block) for each available leave-one-out summary: with
    several seeds, the one over all of them (seed None) and then each seed's own."""
    for split, summ in ((result.get("leave_one_out") or {}).get("summary") or {}).items():
        if summ.get("available"):
            for seed, one in [(None, summ)] + [(int(k), v) for k, v in (summ.get("by_seed") or {}).items()]:
                for name in ("pooled", "mean_of_tasks"):
                    if one.get("available") and one[name].get("available", True):
                        yield split, name, seed, one, one[name]


def _agree(b: dict, key: str) -> str | None:
    """"2 of 3": in how many seeds' own summaries a verdict holds (the averaged rows only)."""
    over = b.get("over_seeds")
    return f"{over[key]} of {over['seeds']}" if over else None


def loo_summary_sheet(result: dict) -> Sheet | None:
    """The answer over every held-out task: pooled over all pairs, and the mean of tasks;
    with several seeds, over the seeds (each pair's outcomes averaged) and per seed."""
    n_seeds = len(_seeds(result))
    seeded = [Column("seed", "seeds")] if n_seeds else []
    agree = [Column("clears_in", "clears in seeds"), Column("adds_in", "adds info in seeds")] if n_seeds else []
    sheet = Sheet([Column("split"), Column("summary"), *seeded, Column("tasks", kind="int"), Column("n", "pairs", "int"),
                   Column("posts", kind="int"), Column("accuracy", "model %", _PCT), Column("ci95", "95% CI", _CI),
                   Column("confounds", "confounds %", _PCT), Column("diff", "Δ confounds", "pp"),
                   Column("diff_ci95", "Δ 95% CI", "pp_ci"), Column("clears", "clears confounds", "bool"),
                   Column("stacked_diff", "Δ stacked", "pp"), Column("stacked_diff_ci95", "Δ stacked 95% CI", "pp_ci"),
                   Column("adds_information", "adds info?", "bool"), *agree],
                  title="Leave one out, over every held-out task (posts resampled within each task; "
                        "pooled: every pair counts once, mean of tasks: every task counts once; "
                        "Δ stacked: confounds + the model's margin, minus confounds"
                        + (f"; seeds: each pair's outcomes averaged over {n_seeds} training seeds, then each seed"
                           if n_seeds else "") + ")")
    for split, name, seed, summ, b in _summaries(result):
        d = b.get("diff") or {}
        st = b.get("stacked") or {}
        sd = st.get("diff") or {}
        label = ([f"mean of {n_seeds}" if seed is None else str(seed)] if n_seeds else [])
        sheet.add(split, name.replace("_", " "), *label, len(b.get("tasks") or summ["tasks"]), b.get("n", summ["n"]),
                  b.get("posts", summ["posts"]),
                  b["accuracy"]["value"],
                  b["accuracy"]["ci95"], b.get("confounds"), d.get("value"), d.get("ci95"), b.get("clears"),
                  sd.get("value"), sd.get("ci95"), st.get("adds_information"),
                  *([_agree(b, "clears"), _agree(b, "adds_information")] if n_seeds else []))
    return sheet if sheet.rows else None


def points_sheet(result: dict) -> Sheet:
    """Every point of every part, one row each: the machine formats' single table."""
    sheet = Sheet([Column("part"), Column("model"), Column("train_task"), Column("eval_task"), Column("split"),
                   Column("train_pairs", kind="int"), Column("accuracy", kind=_PCT), Column("ci95", kind=_CI),
                   Column("accuracy_hard", kind=_PCT), Column("ci95_hard", kind=_CI),
                   Column("best_baseline"), Column("best_baseline_accuracy", kind=_PCT),
                   Column("gap", kind="pp"), Column("gap_ci95", kind="pp_ci"),
                   Column("diff_confounds", kind="pp"), Column("diff_confounds_ci95", kind="pp_ci"),
                   Column("seed", kind="int")])
    holdout = result.get("holdout")
    for model, points in (result.get("learning_curves") or {}).items():
        for p in points:
            sheet.add("curve", model, None, holdout, p["split"], p["train_pairs"], p["accuracy"], p["ci95"],
                      p.get("accuracy_hard"), p.get("ci95_hard"), p.get("best_baseline"),
                      p.get("best_baseline_accuracy"), None, None, p.get("diff_confounds"),
                      p.get("diff_confounds_ci95"), None)
    t = result.get("transfer")
    if t:
        gaps = t.get("gaps") or {}
        for i, name in enumerate(t["train_tasks"]):
            for j, u in enumerate(t["eval_tasks"]):
                if t["accuracy"][i][j] is None:
                    continue
                g = (gaps.get(u) or {}).get(name) or {}
                sheet.add("transfer", None, name, u, t.get("split", "test"), None, t["accuracy"][i][j],
                          t["ci95"][i][j], None, None, None, None, g.get("value"), g.get("ci95"), None, None, None)
        for name, row in zip(t["train_tasks"], t.get("accuracy_heldout_all") or []):  # kept without an interval
            for u, every in zip(t["eval_tasks"], row):
                if every is not None:
                    sheet.add("transfer", None, name, u, "heldout_all", None, every, None,
                              None, None, None, None, None, None, None, None, None)
    a = result.get("adapt")
    if a:
        for p in a["points"]:
            best = p.get("best_baseline")
            gain = p.get("gain") or {}  # against k = 0, paired
            sheet.add("adapt", None, None, a["holdout"], a.get("split", "test"), p["train_pairs"], p["accuracy"],
                      p["ci95"], p.get("accuracy_hard"), p.get("ci95_hard"), best,
                      p.get(best) if best in ("longer", "confounds") else None, gain.get("value"), gain.get("ci95"),
                      None, None, None)
    for r in (result.get("leave_one_out") or {}).get("rows") or ():
        sheet.add("leave_one_out", None, None, r["task"], r["split"], r.get("train_pairs"), r["accuracy"], r["ci95"],
                  None, None, "confounds", r.get("confounds"), None, None, r.get("diff_confounds"),
                  r.get("diff_confounds_ci95"), r.get("seed"))
    for split, name, seed, _, b in _summaries(result):
        d = b.get("diff") or {}
        sheet.add("leave_one_out", None, None, name, split, None, b["accuracy"]["value"], b["accuracy"]["ci95"],
                  None, None, "confounds", b.get("confounds"), None, None, d.get("value"), d.get("ci95"), seed)
    return sheet


def _sheets(result: dict) -> list[Sheet]:
    found = (curve_sheet(result), transfer_sheet(result), transfer_sheet(result, "heldout_all"),
             gap_sheet(result), adapt_sheet(result), loo_sheet(result), loo_summary_sheet(result))
    return [s for s in found if s is not None and s.rows]


PLOTS = ("learning_curves_png", "transfer_png", "adapt_png", "leave_one_out_png")


def heading(result: dict) -> str:
    """What the sweep held out: its --holdout (curves, adaptation), the transfer matrix's tasks, and
    with leave-one-out each task in turn."""
    # --holdout is only the curves' held-out task: a transfer-only sweep said "held out writingprompts"
    parts = [f"held out {result.get('holdout', '')}"] if any(result.get(k) for k in ("learning_curves", "adapt")) else []
    if result.get("transfer"):
        parts.append(f"transfer between {', '.join(result['transfer'].get('train_tasks') or [])}")
    if result.get("leave_one_out"):
        seeds = _seeds(result)
        parts.append(f"each of {', '.join(result['leave_one_out']['tasks'])} held out in turn"
                     + (f", training seeds {', '.join(map(str, seeds))}" if seeds else ""))
    return "; ".join(parts) or f"held out {result.get('holdout', '')}"


def sweep_markdown(result: dict) -> str:
    """sweep.md: the same tables as the terminal, then the plots (paths beside sweep.json)."""
    from rmbench.eval.report import SYNTHETIC_NOTE
    from rmbench.run.sweep_findings import findings
    from rmbench.tables import markdown

    lines = [f"# rmbench sweep: {heading(result)}", ""]
    if result.get("synthetic_data"):
        lines += [SYNTHETIC_NOTE, ""]
    lines += [f"- data fingerprint `{(result.get('data_fingerprint') or '-')[:16]}`; every figure is "
              "sweep.json's own; intervals are 95%, resampling whole posts", ""]
    answer = findings(result)
    if answer:
        lines += ["## What it says", "", *[f"- {sentence}" for sentence in answer], ""]
    for sheet in _sheets(result):
        lines += [markdown(sheet), ""]
    lines += [f"![{result[k]}]({result[k]})" for k in PLOTS if result.get(k)]
    return "\n".join(lines) + "\n"


def write_sweep_report(result: dict, out) -> list:
    """sweep.md and sweep.html (the same text as one page, the plots inside) in ``out``."""
    from pathlib import Path

    from rmbench.htmlpage import write_markdown_and_page

    text = sweep_markdown(result)
    return write_markdown_and_page(Path(out) / "sweep.md", text, f"rmbench sweep: {heading(result)}")


def show_sweep(result: dict, paths: list[str], fmt: str = "table", console=None) -> None:
    """The sweep's tables on stdout (``fmt``), then where its files are."""
    from rmbench.tables import emit, note, stdout_console

    if fmt == "table":
        console = console or stdout_console()
        for sheet in _sheets(result):
            emit(sheet, fmt, console=console)
    else:
        emit(points_sheet(result), fmt)
    for line in paths:
        note(line, fmt, console=console)
