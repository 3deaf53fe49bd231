"""A run's PNG figures (``plots/`` of a run folder): accuracy beside baselines, calibration, the
training curve, accuracy by vote margin.

Each is read at the width report.html gives an image (at most 760 px, ``rmbench.htmlpage``) and
on the leaderboard's entry pages: a figure is sized to about that width, so its text is not
shrunk unreadable, and it grows in height, not width, with the number of splits. Accuracies are
in %, as every table beside them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rmbench.eval.plots import COLORS, _err, _plt, _save

# Inches at _save's 110 dpi: 7 in is 770 px, about what the report page shows unscaled.
WIDTH_IN = 7.0
ACC_LABEL = "pairwise accuracy, % (95% CI, posts resampled)"


def _pct_err(entry: dict) -> tuple[float, float]:
    lo, hi = _err(entry)
    return 100 * lo, 100 * hi


def _split_label(doc: dict, task: str, split: str, card: dict) -> str:
    """A split's row label: which split, its role, how many pairs from how many posts."""
    posts = f", {card['posts']:,} posts" if card.get("posts") else ""
    extra = (", too small" if card.get("too_small") else "") + (f"\n{card['sample']['label']}" if card.get("sample") else "")
    return f"{task} {split}\n({doc['results'][task]['role']}, n={card['n']:,}{posts}{extra})"


def accuracy_bars(doc: dict, path: Path) -> str:
    """Model and baselines per evaluated split as horizontal bars, 95% intervals, the model's
    figure written on its bar; by-construction baselines hatched. One row group per split, in
    results.json's order: a run of nine splits was 1,537 px wide and shown at half size."""
    plt = _plt()
    groups = [(t, s, card) for t, r in doc["results"].items() for s, card in r["splits"].items()]
    names = ["model"] + list(dict.fromkeys(b for _, _, c in groups for b in c["baselines"]))
    height = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 1.4 + 0.13 * len(names) * len(groups)))
    for j, name in enumerate(names):
        ys, xs, lo, hi, hatch = [], [], [], [], []
        for i, (_, _, card) in enumerate(groups):
            entry = card if name == "model" else card["baselines"].get(name, {"accuracy": None})
            e = _pct_err(entry)
            ys.append(i + (j - (len(names) - 1) / 2) * height)
            xs.append(100 * (entry["accuracy"] or 0.0))
            lo.append(e[0])
            hi.append(e[1])
            hatch.append(name != "model" and entry.get("by_construction"))
        label = (doc["model"]["id"] if name == "model" else "chance (random's expectation)" if name == "random"
                 else name + (" (by construction)" if any(hatch) else ""))
        bars = ax.barh(ys, xs, height, xerr=[lo, hi], capsize=2, color=COLORS.get(name, "#777"), label=label,
                       error_kw={"lw": 0.8})
        for b, h in zip(bars, hatch):
            if h:
                b.set_hatch("//")
                b.set_alpha(0.5)
        if name == "model":
            for y, x, up in zip(ys, xs, hi):
                ax.text(min(x + up + 1, 101), y, f"{x:.1f}", va="center", fontsize=7, color=COLORS["model"])
    ax.axvline(50, color="black", lw=0.6, ls=":")
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([_split_label(doc, t, s, c) for t, s, c in groups], fontsize=7)
    ax.invert_yaxis()  # the first split (the headline) on top, as in report.md's table
    ax.set_xlim(0, 108)
    ax.set_xlabel(ACC_LABEL, fontsize=8)
    ax.set_title("Accuracy beside baselines" + (" - SYNTHETIC demo data" if doc.get("synthetic_data") else ""),
                 fontsize=10)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.06 - 0.25 / len(groups)), frameon=False)
    return _save(fig, path)


def calibration(rewards_by: dict, path: Path, bins: int = 10, doc: dict | None = None) -> str:
    """Reliability diagram of sigma(r_A - r_B), both orders of each pair, one line per split.
    With ``doc``, splits too small to count are left out (a 34-pair split's bins hold three or
    four pairs each and drew the zigzags that hid the headline's line), and each line says its n."""
    plt = _plt()
    cards = {(t, s): c for t, r in (doc or {}).get("results", {}).items() for s, c in r["splits"].items()}
    drawn = {k: v for k, v in rewards_by.items() if not cards.get(k, {}).get("too_small")} or rewards_by
    left = len(rewards_by) - len(drawn)
    fig, ax = plt.subplots(figsize=(4.8, 4.8))
    ax.plot([0, 1], [0, 1], color="black", lw=0.6, ls=":", label="perfectly calibrated")
    for (task, split), (rc, rr) in drawn.items():
        d = np.asarray(rc, dtype=float) - np.asarray(rr, dtype=float)
        if d.size == 0:
            continue
        p = 1 / (1 + np.exp(-np.clip(d, -50, 50)))
        p, y = np.concatenate([p, 1 - p]), np.concatenate([np.ones_like(p), np.zeros_like(p)])
        which = np.minimum((p * bins).astype(int), bins - 1)
        xs = [p[which == b].mean() for b in range(bins) if (which == b).any()]
        ys = [y[which == b].mean() for b in range(bins) if (which == b).any()]
        ax.plot(xs, ys, marker="o", ms=3, label=f"{task}/{split} (n={d.size:,})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"predicted P(A preferred) = sigma(r_A - r_B), {bins} bins", fontsize=9)
    ax.set_ylabel("observed frequency of A preferred", fontsize=9)
    ax.set_title("Calibration (both orders of each pair)", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", title=f"{left} too-small split(s) not drawn" if left else None,
              title_fontsize=7)
    return _save(fig, path)


def training_curve(log: list[dict], path: Path) -> str:
    """Training loss at every logging step and validation accuracy (and loss) at every
    validation, against optimizer steps (``log``: rmbench.model.trainlog's entries). Each axis's
    chance level is drawn and named: a bare dotted line at accuracy 0.5 sat at a loss value on
    the left axis and read as one."""
    plt = _plt()
    loss = [(e["step"], e["loss"]) for e in log if e.get("loss") is not None]
    val_loss = [(e["step"], e["eval_loss"]) for e in log if e.get("eval_loss") is not None]
    val_acc = [(e["step"], 100 * e["eval_accuracy"]) for e in log if e.get("eval_accuracy") is not None]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    lines = []
    if loss:
        lines += ax.plot(*zip(*loss), marker=".", color=COLORS["model"], label="training loss (left)")
    if val_loss:
        lines += ax.plot(*zip(*val_loss), ls="--", marker="x", color=COLORS["model"], label="validation loss (left)")
    if loss or val_loss:  # ln 2: the loss of a model that scores both responses alike
        lines.append(ax.axhline(np.log(2), color=COLORS["model"], lw=0.6, ls=":", label="chance loss, ln 2 (left)"))
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("Bradley-Terry loss")
    acc_ax = ax.twinx()
    if val_acc:
        lines += acc_ax.plot(*zip(*val_acc), marker="o", color=COLORS["confounds"], label="validation accuracy (right)")
    lines.append(acc_ax.axhline(50, color=COLORS["confounds"], lw=0.6, ls=":", label="chance accuracy, 50% (right)"))
    acc_ax.set_ylim(0, 105)
    acc_ax.set_ylabel("validation pairwise accuracy, %")
    ax.set_title("Training curve" if loss or val_loss or val_acc else "Training curve (nothing was logged)")
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14),
              ncol=2, frameon=False)
    return _save(fig, path)


def score_ratio_plot(doc: dict, path: Path) -> str | None:
    """Accuracy by vote margin on the held-out headline splits, longer-wins and confounds
    beside it (report.curve_rows); None when no such split has score ratios."""
    from rmbench.eval.report_margin import curve_rows

    cards = curve_rows(doc)
    if not cards:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, len(cards), figsize=(min(WIDTH_IN, 3.6 * len(cards)), 3.6), squeeze=False,
                             sharey=True)
    for ax, (r, curve) in zip(axes[0], cards):
        xs = range(len(curve))
        errs = [_pct_err(b) for b in curve]
        ax.errorbar(xs, [100 * b["accuracy"] for b in curve], yerr=[[e[0] for e in errs], [e[1] for e in errs]],
                    marker="o", capsize=3, color=COLORS["model"], label=doc["model"]["id"])
        for name in ("longer", "confounds"):
            ys = [b["baselines"].get(name) for b in curve]
            if any(y is not None for y in ys):
                ax.plot(xs, [float("nan") if y is None else 100 * y for y in ys], ls="--", marker=".",
                        color=COLORS.get(name, "#777"), label=name)
        ax.axhline(50, color="black", lw=0.6, ls=":")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([f"{b['bucket']}\nn={b['n']:,}" for b in curve], fontsize=7)
        ax.set_title(f"{r['task']} {r['split']}", fontsize=9)
        ax.set_xlabel("score ratio (chosen / other); n pairs", fontsize=8)
    axes[0][0].set_ylim(0, 105)
    axes[0][0].set_ylabel(ACC_LABEL, fontsize=8)
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.suptitle("Accuracy by vote margin" + (" - SYNTHETIC demo data" if doc.get("synthetic_data") else ""), fontsize=10)
    return _save(fig, path)


def run_plots(doc: dict, rewards_by: dict, out_dir: Path, train_log: list[dict] | None = None) -> list[str]:
    """A run's figures; ``train_log`` (a trained model's log history) adds training.png, and
    held-out splits with score ratios add score_ratio.png."""
    names = [f"plots/{training_curve(train_log, out_dir / 'training.png')}"] if train_log is not None else []
    if not doc["results"]:
        return names
    margin = score_ratio_plot(doc, out_dir / "score_ratio.png")
    return [f"plots/{accuracy_bars(doc, out_dir / 'accuracy.png')}",
            f"plots/{calibration(rewards_by, out_dir / 'calibration.png', 10, doc)}"] + names + (
           [f"plots/{margin}"] if margin else [])
