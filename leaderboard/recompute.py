"""Every number a submission shows, recomputed from its predictions and the track's frozen pairs.

Nothing here is statistics of its own: each split's card comes from
``rmbench.eval.scorecard.scored`` (the accuracy, the bootstrap interval, calibration and
score-ratio buckets of every results.json) over the frozen pairs in their frozen order, with
the run's own eval settings and seed; the held-out means and the margin come from
``rmbench.eval.results.summary`` (the results.json builder's) with the track's frozen
baselines. So when the harness's functions change (a clustered bootstrap, say), validate
and the board follow, and a submitted interval is never taken on trust.

Baselines: the board's are the track's, computed at freeze time with seed ``FREEZE_SEED``
and the default eval settings. A submission's own baseline numbers must agree with them:
the accuracies of the deterministic baselines always; the coin of ``random``, every
interval, ``best_baseline`` and ``clears_best_baseline`` when the run used the same seed and
bootstrap settings (a run's default).
"""

from __future__ import annotations

import dataclasses as dc
import math
from dataclasses import dataclass

from rmbench.leaderboard.tracks import Track

TOLERANCE = 2e-6  # results.json rounds to 6 decimals (rmbench.eval.metrics): two roundings apart at most
SEEDED = ("random",)  # baselines whose accuracy depends on the seed


@dataclass
class Recomputed:
    """The board's numbers for one submission: per (task, split) card, and the summary."""

    splits: dict  # (task, split) -> {"n", "accuracy", "ci95", "ece", "by_score_ratio", "best_baseline",
    #                                  "best_baseline_accuracy", "clears_best_baseline"}
    summary: dict  # rmbench.eval.results.summary over the track's held-out tasks, frozen baselines
    same_settings: bool  # the run's seed and bootstrap settings are the track's freeze settings


def _eval_cfg(res: dict):
    from rmbench.eval.config import EvalConfig

    given = (res.get("config") or {}).get("eval") or {}
    names = {f.name for f in dc.fields(EvalConfig)}
    return EvalConfig(**{k: v for k, v in given.items() if k in names})


def _seed(res: dict) -> int:
    seed = (res.get("config") or {}).get("seed", 0)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else 0


def _differs(a, b) -> bool:
    """Beyond rounding: numbers compared with ``TOLERANCE``, lists element-wise, the rest exactly."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) != set(b) or any(_differs(a[k], b[k]) for k in a)
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isnan(a) or math.isnan(b):
            return not (math.isnan(a) and math.isnan(b))
        return abs(a - b) > TOLERANCE
    return a != b


def recompute(res: dict, track: Track, predictions: dict) -> tuple[Recomputed, list[tuple[str, str, str]]]:
    """(numbers, problems as (rule, where, message)). ``predictions``: (task, split) -> pair -> rewards."""
    from rmbench.eval.results import summary
    from rmbench.eval.scorecard import scored

    cfg, seed = _eval_cfg(res), _seed(res)
    problems: list[tuple[str, str, str]] = []
    cards, for_summary = {}, {}
    same = None
    for t in track.heldout_tasks:
        for s in track.splits:
            frozen = track.frozen_rows(t, s)
            base = track.baselines(t, s)
            if same is None:
                same = seed == base["seed"] and cfg.bootstrap_samples == base["eval"].get("bootstrap_samples")
            got = predictions.get((t, s), {})
            where = f"predictions/{t}/{s}"
            ids = [r["pair_id"] for r in frozen]
            missing, extra = [i for i in ids if i not in got], sorted(set(got) - set(ids))
            if missing or extra:
                problems.append(("predictions", where, f"{len(missing)} frozen pair(s) without a prediction "
                                 f"{missing[:3]}, {len(extra)} pair(s) not in the frozen set {extra[:3]}"))
                continue
            if not frozen:
                continue  # an empty split: nothing was scored, nothing to show
            card = scored(frozen, [got[i][0] for i in ids], [got[i][1] for i in ids], cfg, seed)
            best = base["best"]
            best_acc = base["table"][best]["accuracy"] if best else None
            lo = card["ci95"][0]
            card.update(n=len(frozen), best_baseline=best, best_baseline_accuracy=best_acc,
                        clears_best_baseline=None if best_acc is None or lo is None or math.isnan(lo) else lo > best_acc)
            cards[(t, s)] = card
            for_summary.setdefault(t, {"role": "heldout", "splits": {}})["splits"][s] = {
                **card, "baselines": base["table"], "best_baseline": best}
    numbers = Recomputed(cards, summary(for_summary) if for_summary else {}, bool(same))
    problems += _compare(res, track, numbers)
    return numbers, problems


def _compare(res: dict, track: Track, numbers: Recomputed) -> list[tuple[str, str, str]]:
    """Where the submitted results.json disagrees with the recomputed numbers."""
    out = []
    per_task = res.get("results") if isinstance(res.get("results"), dict) else {}
    model = res.get("model") if isinstance(res.get("model"), dict) else {}
    as_baseline = str(model.get("id", "")).split(":", 1)[-1] if model.get("kind") == "baseline" else None
    for (t, s), card in numbers.splits.items():
        sp = ((per_task.get(t) or {}).get("splits") or {}).get(s)
        where = f"results/results/{t}/splits/{s}"
        frozen = track.baselines(t, s)["table"].get(as_baseline) if as_baseline else None
        if frozen and (numbers.same_settings or as_baseline not in SEEDED) and _differs(card["accuracy"], frozen["accuracy"]):
            out.append(("kind", f"{where}/accuracy", f"a baseline:{as_baseline} entry whose predictions give "
                        f"{card['accuracy']}, but that baseline scores {frozen['accuracy']} on the frozen pairs"))
        if not isinstance(sp, dict):
            continue  # reported by the task_missing rule
        keys = ["accuracy", "ci95", "ece", "by_score_ratio"]
        keys += ["best_baseline", "clears_best_baseline"] if numbers.same_settings else []
        for k in keys:
            if k in sp and _differs(sp.get(k), card.get(k)):
                out.append(("recomputed", f"{where}/{k}", f"{sp.get(k)!r}, but the predictions give {card.get(k)!r}"))
        out += _baseline_problems(where, sp.get("baselines"), track.baselines(t, s), numbers.same_settings)
    held = res.get("holdout") if isinstance(res.get("holdout"), list) else []
    claimed = res.get("summary") if isinstance(res.get("summary"), dict) else {}
    if set(held) == set(track.heldout_tasks) and numbers.summary:
        keys = ["heldout_mean_accuracy", "heldout_mean_accuracy_hard"]
        keys += ["best_baseline_mean", "margin_over_best_baseline"] if numbers.same_settings else []
        for k in keys:
            if k in claimed and _differs(claimed.get(k), numbers.summary.get(k)):
                out.append(("recomputed", f"results/summary/{k}",
                            f"{claimed.get(k)!r}, but the predictions give {numbers.summary.get(k)!r}"))
    return out


def _baseline_problems(where: str, given: object, frozen: dict, same: bool) -> list[tuple[str, str, str]]:
    given = given if isinstance(given, dict) else {}
    out = []
    for name in sorted(set(given) - set(frozen["table"])):
        out.append(("baselines", f"{where}/baselines/{name}", "not a baseline of this track"))
    for name, want in frozen["table"].items():
        got = given.get(name)
        if not isinstance(got, dict):
            out.append(("baselines", f"{where}/baselines/{name}", "missing"))
            continue
        keys = ["accuracy", "ci95", "by_construction"] if same else (["accuracy"] if name not in SEEDED else [])
        for k in keys:
            if _differs(got.get(k), want.get(k)):
                out.append(("baselines", f"{where}/baselines/{name}/{k}",
                            f"{got.get(k)!r}, but the track froze {want.get(k)!r}"))
    return out
