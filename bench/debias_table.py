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


def _doc(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def rows(out: Path):
    """Rows of the run directories; a run made before runs computed the stacked predictor
    takes it from ``eval-<run>`` (``rmbench evaluate --reference-tasks`` on its model, with
    the same reference tasks), marked with *."""
    for run in sorted(p for p in out.iterdir() if (p / "results.json").is_file() and not p.name.startswith("eval-")):
        doc = _doc(run / "results.json")
        later = _doc(out / f"eval-{run.name}" / "results.json") or {"results": {}}
        mode = ((doc["model"].get("training") or {}).get("debias") or {}).get("mode", "none")
        for task, res in doc["results"].items():
            if res.get("role") != "heldout":
                continue
            for split in SPLITS:
                cell = (res.get("splits") or {}).get(split)
                if not cell:
                    continue
                base = cell.get("baselines", {})
                conflict = cell.get("cue_conflict") or {}
                stacked, mark = cell.get("stacked") or {}, ""
                if not stacked:
                    stacked = ((later["results"].get(task) or {}).get("splits", {}).get(split) or {}).get("stacked") or {}
                    mark = "*" if stacked else ""
                adds = {True: "yes", False: "no"}.get(stacked.get("adds_information"), "—")
                yield (task, split, mode, f"{cell['n']:,} ({cell.get('posts', '?')})",
                       _pct(cell.get("accuracy")) + _ci(cell.get("ci95")),
                       _pct((base.get("longer") or {}).get("accuracy")), _pct((base.get("confounds") or {}).get("accuracy")),
                       _diff(base.get("confounds")), _pct((cell.get("length_controlled") or {}).get("accuracy")),
                       f"{_pct(conflict.get('accuracy'))} ({conflict.get('n', 0)})",
                       _pct(stacked.get("accuracy")) + mark, (_diff(stacked) if stacked else "—") + mark, adds)


def main(out: str) -> None:
    head = ("held out", "split", "debias", "n (posts)", "minilm", "longer", "confounds", "Δ confounds [95% CI]",
            "length-controlled", "cue-conflict (n)", "stacked", "stacked − confounds [95% CI]", "adds info?")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows(Path(out)):
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/debias-study")
