"""PNG figures of sweeps and comparisons (learning curves, the transfer heatmap, the few-shot curve,
leave-one-out, compare's forest plot) and the helpers every figure shares; a run's own figures
are ``rmbench.eval.plots_run``'s.

matplotlib's Agg backend only (no display needed); each figure is written to a temporary
file and renamed, so a reader never sees half a PNG.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from rmbench.atomic import shareable

# Fixed colours so the same baseline looks the same in every figure.
COLORS = {"model": "#1f77b4", "random": "#9e9e9e", "longer": "#ff7f0e", "shorter": "#ffbb78",
          "earlier": "#c5b0d5", "later": "#9467bd", "confounds": "#2ca02c"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.tmp-", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        shareable(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
        _plt().close(fig)
    return path.name


def _err(entry: dict) -> tuple[float, float]:
    acc = entry.get("accuracy")
    ci = entry.get("ci95") or [acc] * 2
    if acc is None or ci[0] is None:
        return 0.0, 0.0
    return max(0.0, acc - ci[0]), max(0.0, ci[1] - acc)


def compare_forest(doc: dict, path: Path) -> str | None:
    """``rmbench compare``'s differences as a forest plot: one row per run, task and split,
    the paired difference to the first run with its 95% interval; None with no rows."""
    rows = doc["rows"]
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.32 * len(rows)))
    ys = list(range(len(rows)))[::-1]
    for y, r in zip(ys, rows):
        d, (lo, hi) = 100 * r["diff"]["value"], r["diff"]["ci95"]
        color = "#9e9e9e" if r["too_small"] else "#2ca02c" if r["verdict"] == "better" else (
            "#d62728" if r["verdict"] == "worse" else COLORS["model"])
        if lo is not None:
            ax.plot([100 * lo, 100 * hi], [y, y], color=color, lw=2)
        ax.plot([d], [y], "o", color=color)
        seeds = (r.get("over_seeds") or {}).get("by_seed") or []  # each training seed on its own
        ax.plot([100 * e["diff"]["value"] for e in seeds], [y] * len(seeds), "x", color="black", ms=4, alpha=0.6)
    ax.axvline(0, color="black", lw=0.8, ls=":")
    ax.set_yticks(ys)
    # a row's role beside its split where it is not held out: an in-domain row answers another question
    ax.set_yticklabels([f"{r['run']}: {r['task']} {r['split']} (" + ("" if r.get("role") in (None, "heldout") else
                        f"{r['role']}, ") + f"n={r['n']:,})" + (", too small" if r["too_small"] else "")
                        for r in rows], fontsize=7)
    _verdict_legend(ax, rows)
    seeded = any(r.get("over_seeds") for r in rows)
    ax.set_xlabel(f"accuracy difference to {doc['first']}, points (95% CI, posts resampled)"
                  + ("\nover seeds: o their mean, x each seed" if seeded else ""))
    synthetic = any(r["synthetic_data"] for r in doc["runs"])
    ax.set_title(f"Paired differences to {doc['first']}" + (" - SYNTHETIC demo data" if synthetic else ""), fontsize=9)
    return _save(fig, path)


def _verdict_legend(ax, rows: list[dict]) -> None:
    """What each colour of the forest plot means, for the verdicts its rows hold (the colours
    alone said nothing: blue and green differ only in whether the interval excludes 0)."""
    from matplotlib.lines import Line2D

    shown = [("better", "#2ca02c", "better (interval above 0)"), ("worse", "#d62728", "worse (interval below 0)"),
             ("no difference detected", COLORS["model"], "no difference detected"), ("too small", "#9e9e9e", "too small")]
    present = {"too small" if r["too_small"] else r["verdict"] for r in rows}
    handles = [Line2D([], [], color=c, lw=2, marker="o", label=label) for v, c, label in shown if v in present]
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16 - 1.2 / (4 + len(rows))),
                  ncol=len(handles), frameon=False, title="each row's own 95% interval (Holm: see the table)",
                  title_fontsize=7)


def leave_one_out(doc: dict, path: Path, synthetic: bool = False) -> str | None:
    """``sweep --leave-one-out``: per held-out split, each task's paired difference to
    confounds with its interval (one line per seed with ``--seeds``), then the pooled and
    mean-of-tasks summaries (bold; with seeds, over each pair's outcomes averaged over them)."""
    splits = [s for s in ("heldout_all", "heldout_all_hard") if any(r["split"] == s for r in doc["rows"])]
    if not splits:
        return None
    plt = _plt()
    seeded = len(doc.get("seeds") or []) > 1
    height = 1.2 + 0.34 * (len(doc["tasks"]) * (len(doc["seeds"]) if seeded else 1) + 2)
    fig, axes = plt.subplots(1, len(splits), figsize=(5.6 * len(splits), height), squeeze=False, layout="constrained")
    for ax, split in zip(axes[0], splits):
        summ = doc["summary"].get(split) or {}
        items = [(f"{r['task']}{' seed %s' % r.get('seed') if seeded else ''} "
                  f"(n={r['n']}{', too small: not drawn' if r.get('too_small') else ''})", r["diff_confounds"],
                  r["diff_confounds_ci95"], False, bool(r.get("too_small"))) for r in doc["rows"] if r["split"] == split]
        over = f", mean of {len(doc['seeds'])} seeds" if seeded else ""
        for key, label in (("pooled", f"all pairs, pooled{over}"), ("mean_of_tasks", f"mean of tasks{over}")):
            b = summ.get(key) or {}
            d = b.get("diff") or {}
            items.append((f"{label} (n={b.get('n', summ.get('n', 0))})", d.get("value"), d.get("ci95"), True,
                          bool(summ.get("too_small"))))
        ys = list(range(len(items)))[::-1]
        for y, (_, d, ci, bold, small) in zip(ys, items):
            if d is None or (small and not bold):  # a 7-pair interval spanned -78..0 and squeezed every other row
                continue
            lo, hi = ci if ci and ci[0] is not None else (d, d)
            color = "#9e9e9e" if small else "#2ca02c" if lo > 0 else "#d62728" if hi < 0 else COLORS["model"]
            ax.plot([100 * lo, 100 * hi], [y, y], color=color, lw=3 if bold else 2)
            ax.plot([100 * d], [y], "D" if bold else "o", color=color)
        ax.axvline(0, color="black", lw=0.8, ls=":")
        ax.set_yticks(ys)
        ax.set_yticklabels([it[0] for it in items], fontsize=7)
        for tick, it in zip(ax.get_yticklabels(), items):
            tick.set_fontweight("bold" if it[3] else "normal")
        ax.set_title(split, fontsize=9)
        ax.set_xlabel(f"model - {doc['versus']}, accuracy points (95% CI, posts resampled)", fontsize=8)
    fig.suptitle("Each task held out in turn" + (" - SYNTHETIC demo data" if synthetic else ""), fontsize=10)
    return _save(fig, path)


def learning_curves(curves: dict, path: Path, baseline: dict | None = None, diffs: dict | None = None,
                    scored: str = "") -> str:
    """``curves``: model -> [(train pairs, accuracy, lo, hi)]; ``baseline``: label -> accuracy
    (a flat line: confounds is fitted on every training pair, whatever the size). ``diffs``:
    split -> model -> [(train pairs, Δ, lo, hi)], the paired difference to confounds, drawn in a
    second panel with its zero line -- where a curve crosses it the model clears the surface.
    ``scored`` names what the accuracy panel scores ("gradschool heldout_all"): with the two
    panels in two units (a fraction beside points) and no split named, a reader could not tell
    the left panel's split, nor read its 0.72 against the right panel's +0.8."""
    plt = _plt()
    panels = any(p[1] is not None for by in (diffs or {}).values() for pts in by.values() for p in pts)
    fig, axes = plt.subplots(1, 2 if panels else 1, figsize=(11 if panels else 6, 4), squeeze=False)
    ax = axes[0][0]
    sizes = sorted({p[0] for pts in curves.values() for p in pts if p[0]})
    for model, pts in curves.items():
        pts = sorted(p for p in pts if p[1] is not None)
        if not pts:
            continue
        x, y = [p[0] for p in pts], [100 * p[1] for p in pts]
        ax.plot(x, y, marker="o", label=model)
        ax.fill_between(x, [_pct(p[2]) for p in pts], [_pct(p[3]) for p in pts], alpha=0.2)
    for name, acc in (baseline or {}).items():
        ax.axhline(100 * acc, ls="--", lw=0.8, color=COLORS.get(name.split(" ")[0], "#777"), label=name)
    _ticks_at(ax, sizes, log=True)
    ax.set_xlabel("training pairs")
    ax.set_ylabel("held-out accuracy, % (95% CI)")
    ax.set_title("Learning curves" + (f": {scored}" if scored else ""), fontsize=10)
    ax.legend(fontsize=8)
    if panels:
        ax = axes[0][1]
        for split, by_model in diffs.items():
            for model, pts in by_model.items():
                pts = sorted(p for p in pts if p[1] is not None)
                if not pts:
                    continue
                x = [p[0] for p in pts]
                label = f"{model}, {split}" if len(by_model) > 1 else split
                ax.plot(x, [100 * p[1] for p in pts], marker="o" if "hard" not in split else "s", label=label)
                # a difference can come with null bounds (no resample gave an interval): no band there
                band = [[float("nan") if v is None else 100 * v for v in (p[2], p[3])] for p in pts]
                ax.fill_between(x, [b[0] for b in band], [b[1] for b in band], alpha=0.15)
        ax.axhline(0, color="black", lw=0.8)
        _ticks_at(ax, sizes, log=True)
        ax.set_xlabel("training pairs")
        ax.set_ylabel("model - confounds, points (paired 95% CI)")
        ax.set_title("Beyond the surface features?", fontsize=10)
        ax.legend(fontsize=8)
    return _save(fig, path)


def _pct(v):
    """A fraction in %, a missing bound (null in sweep.json) as NaN: no band there."""
    return float("nan") if v is None else 100 * v


def _ticks_at(ax, xs: list, log: bool) -> None:
    """x ticks exactly at the sizes that were run (not matplotlib's powers of ten)."""
    if log:
        ax.set_xscale("symlog", linthresh=max(1, min([x for x in xs if x > 0], default=1)))
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{x:,}" for x in xs], fontsize=8)
    ax.minorticks_off()


def adapt_curve(points: list[dict], path: Path, baselines: dict | None = None, title: str = "",
                split: str = "test") -> str:
    """Held-out accuracy on ``split`` (heldout_unseen: every post no cell drew) after fine-tuning
    on k of its training pairs (k = 0: transfer only)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    pts = sorted((p for p in points if p.get("accuracy") is not None), key=lambda p: p["k"])
    x = [p["k"] for p in pts]
    # in %, like the tables and the other figures
    ax.errorbar(x, [100 * p["accuracy"] for p in pts],
                yerr=[[100 * max(0, p["accuracy"] - p["ci95"][0]) for p in pts],
                      [100 * max(0, p["ci95"][1] - p["accuracy"]) for p in pts]],
                marker="o", capsize=3, color=COLORS["model"], label="model (95% CI)")
    alone = [p for p in pts if p.get("scratch")]
    if alone:  # --adapt-scratch: the same k pairs, no other community's votes
        ax.errorbar([p["k"] * 1.06 for p in alone], [100 * p["scratch"]["value"] for p in alone],  # beside, not on, k's bar
                    yerr=[[100 * max(0, p["scratch"]["value"] - p["scratch"]["ci95"][0]) for p in alone],
                          [100 * max(0, p["scratch"]["ci95"][1] - p["scratch"]["value"]) for p in alone]],
                    marker="s", capsize=3, ls="-.", color="#8c564b", label="same k pairs alone, from scratch (95% CI)")
    for name, acc in (baselines or {}).items():
        if acc is not None:
            ax.axhline(100 * acc, ls="--", lw=0.8, color=COLORS.get(name, "#777"), label=name)
    ax.axhline(50, color="black", lw=0.6, ls=":", label="chance (50%)")
    _ticks_at(ax, x, log=True)
    ax.set_xlabel("held-out training pairs fine-tuned on (k; 0 = pure transfer)")
    ax.set_ylabel(f"accuracy % on {split} (95% CI)")
    seeded = [(p["k"], 100 * (pts[0]["accuracy"] + g["value"])) for p in pts[1:]
              for g in (p.get("gain_by_seed") or {}).values() if g and pts[0]["k"] == 0]
    if seeded:  # k = 0's accuracy plus each draw seed's paired gain: the seeds' spread around their average
        ax.plot(*zip(*seeded), ls="none", marker=".", color="#999", label="each draw seed")
    for p in pts:  # each k > 0's paired gain over k = 0, on the same pairs: what the curve is for
        gain = p.get("gain")
        if gain and gain.get("ci95"):
            lo, hi = (100 * v for v in gain["ci95"])
            ax.annotate(f"Δ k = 0: {100 * gain['value']:+.1f} [{lo:+.1f}, {hi:+.1f}]" + (" (too small)" if gain.get("too_small")
                                                                                   else ""),
                        (p["k"], 100 * p["accuracy"]), textcoords="offset points", xytext=(-7, 6), ha="right",
                        fontsize=7, color="#333", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    first = pts[0] if pts else {}
    size = (f"\n{first['n']:,} pairs from {first['posts']:,} posts" + (": too small to count" if first.get("too_small")
                                                                      else "")) if first.get("n") else ""
    ax.set_title((title or "Few-shot adaptation") + size, fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def transfer_heatmap(tasks_train: list[str], tasks_eval: list[str], matrix: list[list[float | None]],
                     path: Path, too_small: dict | None = None) -> str:
    """Test accuracy in %, as the sweep's tables have it; ``too_small``: evaluated task -> {n, posts} of a
    test split under eval.min_report_pairs/posts, whose column is named so (a 16-pair column read as a finding)."""
    plt = _plt()
    small = too_small or {}
    data = 100 * np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 * len(tasks_eval) + 2.5, 0.7 * len(tasks_train) + 2))
    im = ax.imshow(data, cmap="viridis", vmin=40, vmax=max(80, np.nanmax(data) if data.size else 80))
    ax.set_xticks(range(len(tasks_eval)))
    ax.set_xticklabels([f"{u}\n(n={small[u]['n']}, too small)" if u in small else u for u in tasks_eval],
                       rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(tasks_train)))
    ax.set_yticklabels(tasks_train, fontsize=8)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if not np.isnan(data[i, j]):
                ax.text(j, i, f"{data[i, j]:.1f}" + ("*" if i == j else ""), ha="center", va="center", fontsize=7,
                        color=("#bbbbbb" if tasks_eval[j] in small else "white") if data[i, j] < 60 else "black")
    ax.set_xlabel("evaluated on (test split)")
    ax.set_ylabel("trained on")
    ax.set_title("Transfer: test accuracy % (* in-domain)", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.04)
    return _save(fig, path)
