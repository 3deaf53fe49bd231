"""A sweep's figures, drawn from sweep.json alone: the learning curves, the transfer heatmap, the
adaptation curve and leave-one-out.

Why a module of its own: every number a sweep's plot shows is in sweep.json (unlike a run's
plots, which need the rewards), so ``rmbench report`` draws them again for a sweep made by an
older rmbench, as ``rmbench sweep`` draws them at its end; one function does both.
"""

from __future__ import annotations

from pathlib import Path

PLOT_FILES = {"learning_curves_png": "learning_curves.png", "transfer_png": "transfer.png",
              "adapt_png": "adapt.png", "leave_one_out_png": "leave_one_out.png"}


def curves_plot(curves: dict, path: Path, holdout: str = "") -> str:
    """learning_curves.png: accuracy per size beside confounds' flat line, and the paired
    difference to confounds on the headline split and its hard one."""
    from rmbench.eval import plots
    from rmbench.run.plan import hard_of

    first = next(iter(curves.values()), [{}])[0]
    lines = {}
    if first.get("confounds") is not None:
        lines["confounds (every training pair)"] = first["confounds"]
    if first.get("best_baseline") not in (None, "confounds"):
        lines[f"best baseline ({first['best_baseline']})"] = first["best_baseline_accuracy"]
    split = first.get("split", "heldout_all")
    diffs = {}
    for name, key in ((split, "diff_confounds"), (hard_of(split), "diff_confounds_hard")):
        diffs[name] = {m: [(p["train_pairs"], p.get(key), *(p.get(f"{key}_ci95") or [None, None])) for p in pts]
                       for m, pts in curves.items()}
    acc = {m: [(p["train_pairs"], p["accuracy"], *(p["ci95"] or [None, None])) for p in pts] for m, pts in curves.items()}
    return plots.learning_curves(acc, path, lines, diffs, scored=f"{holdout} {split}".strip())


def draw_plots(result: dict, out: Path) -> dict[str, str]:
    """Each part's plot of ``result`` (sweep.json) written under ``out``; its key -> file name."""
    from rmbench.eval import plots

    drawn = {}
    if result.get("learning_curves"):
        drawn["learning_curves_png"] = curves_plot(result["learning_curves"], out / PLOT_FILES["learning_curves_png"],
                                                   result.get("holdout", ""))
    t = result.get("transfer")
    if t:
        drawn["transfer_png"] = plots.transfer_heatmap(t["train_tasks"], t["eval_tasks"], t["accuracy"],
                                                       out / PLOT_FILES["transfer_png"], t.get("too_small_test"))
    a = result.get("adapt")
    if a and a.get("points"):
        first, split = a["points"][0], a.get("split", "test")
        drawn["adapt_png"] = plots.adapt_curve(a["points"], out / PLOT_FILES["adapt_png"],
                                               {"longer": first.get("longer"), "confounds": first.get("confounds")},
                                               title=f"Few-shot adaptation: held-out {a['holdout']} ({split})", split=split)
    if result.get("leave_one_out"):
        drawn["leave_one_out_png"] = plots.leave_one_out(result["leave_one_out"], out / PLOT_FILES["leave_one_out_png"],
                                                         synthetic=bool(result.get("synthetic_data")))
    return {k: v for k, v in drawn.items() if v}
