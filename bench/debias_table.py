"""The none-vs-poe table of BENCHMARKS.md from bench/debias_study.sh's run directories.

    python bench/debias_table.py runs/debias-study

One row per held-out task, split and training mode: accuracy with its post-clustered
interval, baseline:confounds on the same pairs, the paired difference to it, the
length-controlled accuracy, the cue-conflict cell with its n, and the stacked predictor's
gain over confounds where the run computed one (results.json's ``stacked`` block).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SPLITS = ("heldout_all", "heldout_all_hard", "test")


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _ci(ci) -> str:
    return "" if not ci else f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _diff(d, key="diff", ci="diff_ci95") -> str:
    if not d or d.get(key) is None:
        return "—"
    lo, hi = d.get(ci) or (None, None)
    sign = lambda v: f"{100 * v:+.1f}"  # noqa: E731
    return f"{sign(d[key])} [{sign(lo)}, {sign(hi)}]" if lo is not None else sign(d[key])


def rows(out: Path):
    for run in sorted(p for p in out.iterdir() if (p / "results.json").is_file()):
        doc = json.loads((run / "results.json").read_text())
        mode = ((doc["model"].get("training") or {}).get("debias") or {}).get("mode", "none")
        for task, res in doc["results"].items():
            if res.get("role") != "heldout":
                continue
            for split in SPLITS:
                cell = (res.get("splits") or {}).get(split)
                if not cell:
                    continue
                base = cell.get("baselines", {}).get("confounds") or {}
                conflict = cell.get("cue_conflict") or {}
                stacked = cell.get("stacked") or {}
                yield (task, split, mode, f"{cell['n']:,} ({cell.get('posts', '?')})",
                       _pct(cell.get("accuracy")) + _ci(cell.get("ci95")), _pct(base.get("accuracy")),
                       _diff(base), _pct((cell.get("length_controlled") or {}).get("accuracy")),
                       f"{_pct(conflict.get('accuracy'))} ({conflict.get('n', 0)})",
                       _diff(stacked) if stacked else "—")


def main(out: str) -> None:
    head = ("held out", "split", "debias", "n (posts)", "minilm", "confounds", "Δ confounds [95% CI]",
            "length-controlled", "cue-conflict (n)", "stacked − confounds")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows(Path(out)):
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/debias-study")
