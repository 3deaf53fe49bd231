"""Every number a submission shows, recomputed from its predictions and the track's frozen pairs.

Nothing here is statistics of its own: each split's card comes from
``rmbench.eval.scorecard.outcome_card`` (the accuracy, its post-clustered interval, chance,
every baseline with the paired difference on the same resampled posts, the best eligible
baseline and the verdict) over the frozen pairs and the frozen per-pair outcomes of every
baseline, with the run's own eval settings (its interval rule too: ``eval.interval``, "percentile" for a
run from before it) and seed, plus calibration and score-ratio
buckets (``rmbench.eval.metrics``); the held-out means come from
``rmbench.eval.results.summary`` (the results.json builder's). So when the harness's
functions change, validate and the board follow, and a submitted interval is never taken
on trust. The length-controlled accuracy, cue-conflict cell and noise ceiling
(``rmbench.eval.controls.control_cells``) read only each pair's two lengths and two scores,
which a track frozen since 2026-12-06 holds: they are recomputed and checked too (an older
track has no lengths, and shows none of them).

Baselines: the board's are the track's, frozen with seed ``FREEZE_SEED`` and the default
eval settings; ``baseline:confounds`` is fitted on the track's reference tasks (every other
task of the data). A submission's own baseline numbers must agree with the recomputed
ones: the rules' accuracies always; every interval, difference, ``best_baseline`` and
``clears_best_baseline`` when the run used the same seed and resample count (a run's
default); the learned baseline's only when the run was trained on the reference tasks.

The stacked predictor (``rmbench.eval.stacked``: confounds + the model's margin) is re-scored
from the run's own fit (its two weights and margin scale: the fit pairs are not in the
submission), the track's frozen per-pair confounds logits and the predictions, when the
run's confounds is the track's (same coefficients); its accuracy, paired difference to
confounds and "adds information" verdict must then agree with what the run reported.
"""

from __future__ import annotations

import dataclasses as dc
import math
from dataclasses import dataclass

from rmbench.leaderboard.tracks import Track

TOLERANCE = 2e-6  # results.json rounds to 6 decimals (rmbench.eval.metrics): two roundings apart at most


@dataclass
class Recomputed:
    """The board's numbers for one submission: per (task, split) card, and the summary."""

    splits: dict  # (task, split) -> rmbench.eval.scorecard.outcome_card + "ece", "by_score_ratio",
    #                                  "best_baseline_accuracy" (the track's frozen best)
    summary: dict  # rmbench.eval.results.summary over the track's held-out tasks, frozen baselines
    same_settings: bool  # the run's seed and bootstrap settings are the track's freeze settings
    outcomes: dict = dc.field(default_factory=dict)  # (task, split) -> per-pair outcomes, frozen order (rank groups)


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


def stacked_fit(res: dict, track: Track) -> tuple[dict | None, str | None]:
    """The run's stacked fit when it can re-score the track's pairs: its confounds is the
    track's (the frozen logits are its input), two numeric weights, a positive margin scale.
    Else None and, for a malformed fit, what is wrong with it."""
    from rmbench.eval.stacked import FEATURES

    fit, conf = res.get("stacked"), res.get("confounds")
    if not isinstance(fit, dict) or fit.get("available") is not True:
        return None, None
    if not track.confounds or not isinstance(conf, dict) or any(
            conf.get(k) != track.confounds.get(k) for k in ("features", "coef", "mean", "scale")):
        return None, None  # another reference, another confounds: nothing here to re-score it with
    coef, scale = fit.get("coef"), fit.get("margin_scale")
    ok = isinstance(coef, dict) and all(isinstance(coef.get(k), (int, float)) and math.isfinite(coef[k]) for k in FEATURES)
    if not ok or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        return None, "an available stacked fit needs numeric coef.confounds_logit, coef.margin and margin_scale > 0"
    return fit, None


def recompute(res: dict, track: Track, predictions: dict, cuts: dict | None = None
              ) -> tuple[Recomputed, list[tuple[str, str, str]]]:
    """(numbers, problems as (rule, where, message)). ``predictions``: (task, split) -> pair -> rewards;
    ``cuts``: (task, split) -> pair -> (chosen cut, rejected cut), the scorer's flags where it read tokens.

    Intervals follow the rule the run recorded (``eval.interval``); a run from before the option
    used the plain percentile rule, and is checked against it."""
    from rmbench.eval.metrics import INTERVAL_RULES, recorded_rule, using_interval

    rule = recorded_rule(res)
    if rule not in INTERVAL_RULES:
        return _recompute(res, track, predictions, cuts, [(
            "recomputed", "results/config/eval/interval",
            f"unknown interval rule {rule!r} (one of {', '.join(INTERVAL_RULES)}): checked against 'expanded'")])
    with using_interval(rule):
        return _recompute(res, track, predictions, cuts, [])


def _recompute(res: dict, track: Track, predictions: dict, cuts: dict | None, problems: list
               ) -> tuple[Recomputed, list[tuple[str, str, str]]]:
    import numpy as np

    from rmbench.eval.controls import by_response_cut, score_ratio_curve
    from rmbench.eval.metrics import ClusterBootstrap, by_score_ratio, expected_calibration_error, pair_outcomes
    from rmbench.eval.results import summary
    from rmbench.eval.scorecard import outcome_card
    from rmbench.eval.stacked import stacked_card
    from rmbench.leaderboard.tracks import CONFOUNDS_LOGIT

    cfg, seed = _eval_cfg(res), _seed(res)
    cards, for_summary, by_split = {}, {}, {}
    fit, why = stacked_fit(res, track)
    if why:
        problems.append(("recomputed", "results/stacked", why))
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
            rc, rr = [got[i][0] for i in ids], [got[i][1] for i in ids]
            others = {k: np.asarray([r[f"b_{k}"] for r in frozen], dtype=float) for k in base["scored"]}
            others.update(base.get("not_applicable") or {})
            # the run's seed and resample count, so its own intervals can be checked exactly
            outcomes = pair_outcomes(rc, rr)
            by_split[(t, s)] = outcomes
            posts = [r["post_id"] for r in frozen]
            boot = ClusterBootstrap(posts, cfg.bootstrap_samples, seed)
            card = outcome_card(posts, outcomes, others, cfg=cfg, preferred_later=bool(base.get("preferred_later")),
                                seed=seed, boot=boot, learned="confounds" in others, itself=_itself(res, t, s))
            if base.get("controls"):  # a track frozen with the pairs' lengths and scores
                card.update(_controls(frozen, base["controls"], posts, outcomes, cfg, seed, boot))
            card["ece"] = expected_calibration_error(rc, rr, cfg.ece_bins)
            ratios = [r["score_ratio"] for r in frozen]
            card["by_score_ratio"] = by_score_ratio(outcomes, ratios, cfg.score_ratio_edges)
            # shown on the submission's page; not compared with the submitted file (runs before
            # this curve existed have none, and its intervals depend on the run's settings)
            card["score_ratio_curve"] = score_ratio_curve([r["post_id"] for r in frozen], outcomes, others, ratios,
                                                          cfg.score_ratio_edges, cfg.bootstrap_samples, seed)
            flags = (cuts or {}).get((t, s)) or {}
            if all(i in flags for i in ids):  # the part where the model read both responses whole, and the rest
                card["by_response_cut"] = by_response_cut(posts, outcomes, others, {
                    "chosen": [flags[i][0] for i in ids], "rejected": [flags[i][1] for i in ids]},
                    cfg.bootstrap_samples, seed)
            card["best_baseline_accuracy"] = (base["table"][base["best"]]["accuracy"] if base["best"] else None)
            if fit is not None and frozen and CONFOUNDS_LOGIT in frozen[0]:  # the run's stacked fit, re-scored
                lengths = ([r["len_chosen"] - r["len_rejected"] for r in frozen] if "len_chosen" in frozen[0]
                           else None)  # a track frozen before the lengths: judged against confounds alone
                card["stacked"] = stacked_card(fit, [r["post_id"] for r in frozen], [r[CONFOUNDS_LOGIT] for r in frozen],
                                               np.asarray(rc, dtype=float) - np.asarray(rr, dtype=float),
                                               samples=cfg.bootstrap_samples, seed=seed, too_small=card["too_small"],
                                               length_margin=lengths)
            cards[(t, s)] = card
            for_summary.setdefault(t, {"role": "heldout", "splits": {}})["splits"][s] = card
    numbers = Recomputed(cards, summary(for_summary) if for_summary else {}, bool(same), by_split)
    problems += _compare(res, track, numbers)
    return numbers, problems


def _baseline_name(res: dict) -> str | None:
    """``longer`` for an entry of model kind baseline with id ``baseline:longer``; else None."""
    model = res.get("model") if isinstance(res.get("model"), dict) else {}
    return str(model.get("id", "")).split(":", 1)[-1] if model.get("kind") == "baseline" else None


def _itself(res: dict, task: str, split: str) -> str | None:
    """The baseline a baseline entry is, where its card marks it ``itself`` (runs since
    2026-12-07 never make it their own best baseline); older entries are checked as written."""
    name = _baseline_name(res)
    if name is None:
        return None
    entry = res.get("results")
    for key in (task, "splits", split, "baselines", name):  # any of them malformed: checked as written
        entry = entry.get(key) if isinstance(entry, dict) else None
    return name if isinstance(entry, dict) and entry.get("itself") is True else None


def _compare(res: dict, track: Track, numbers: Recomputed) -> list[tuple[str, str, str]]:
    """Where the submitted results.json disagrees with the recomputed numbers."""
    out = []
    per_task = res.get("results") if isinstance(res.get("results"), dict) else {}
    as_baseline = _baseline_name(res)
    for (t, s), card in numbers.splits.items():
        sp = ((per_task.get(t) or {}).get("splits") or {}).get(s)
        where = f"results/results/{t}/splits/{s}"
        frozen = track.baselines(t, s)["table"].get(as_baseline) if as_baseline else None
        if frozen and not frozen.get("expectation") and _differs(card["accuracy"], frozen["accuracy"]):
            out.append(("kind", f"{where}/accuracy", f"a baseline:{as_baseline} entry whose predictions give "
                        f"{card['accuracy']}, but that baseline scores {frozen['accuracy']} on the frozen pairs"))
        if not isinstance(sp, dict):
            continue  # reported by the task_missing rule
        learned_too = sorted(res.get("train_tasks") or []) == sorted(track.reference_tasks)
        # the model's own interval depends only on its outcomes, the posts and the run's seed and
        # resample count, which recompute uses: always checked, so a made-up interval is caught
        keys = ["n", "posts", "largest_post_share", "too_small", "accuracy", "ece", "by_score_ratio", "ci95", "vs_chance", "at_chance"]
        # the verdict is against the best baseline, which may be the learned one
        keys += ["best_baseline", "clears_best_baseline"] if numbers.same_settings and learned_too else []
        for k in keys:
            if k in sp and _differs(sp.get(k), card.get(k)):
                out.append(("recomputed", f"{where}/{k}", f"{sp.get(k)!r}, but the predictions give {card.get(k)!r}"))
        out += _baseline_problems(where, sp.get("baselines"), card["baselines"], numbers.same_settings, learned_too)
        out += _control_problems(where, sp, card)
        out += _stacked_problems(where, sp.get("stacked"), card.get("stacked"), numbers.same_settings)
    held = res.get("holdout") if isinstance(res.get("holdout"), list) else []
    claimed = res.get("summary") if isinstance(res.get("summary"), dict) else {}
    if set(held) == set(track.heldout_tasks) and numbers.summary:
        keys = ["heldout_mean_accuracy", "heldout_mean_accuracy_hard"]
        keys += ["best_baseline_mean", "margin_over_best_baseline"] if numbers.same_settings else []
        for k in keys:
            if k in claimed and _differs(claimed.get(k), numbers.summary.get(k)):
                out.append(("recomputed", f"results/summary/{k}",
                            f"{claimed.get(k)!r}, but the predictions give {numbers.summary.get(k)!r}"))
        for split, mine in (numbers.summary.get("headline") or {}).items():
            theirs = (claimed.get("headline") or {}).get(split) if isinstance(claimed.get("headline"), dict) else None
            if isinstance(theirs, dict) and _differs(theirs.get("mean_accuracy"), mine.get("mean_accuracy")):
                out.append(("recomputed", f"results/summary/headline/{split}/mean_accuracy",
                            f"{theirs.get('mean_accuracy')!r}, but the predictions give {mine.get('mean_accuracy')!r}"))
    return out


def _controls(frozen: list[dict], frozen_controls: dict, posts: list, outcomes, cfg, seed: int, boot) -> dict:
    """The card's length-controlled accuracy, cue-conflict cell and noise ceiling from the
    track's frozen lengths and scores, by the function the run's own card came from."""
    from rmbench.eval.controls import control_cells

    return control_cells(posts, outcomes, [r["len_chosen"] for r in frozen], [r["len_rejected"] for r in frozen],
                         ([r["score_chosen"] for r in frozen], [r["score_rejected"] for r in frozen]),
                         hard_ratio=float(frozen_controls["hard_ratio"]), samples=cfg.bootstrap_samples, seed=seed,
                         min_pairs=cfg.min_report_pairs, min_posts=cfg.min_report_posts, boot=boot)


CONTROLS = ("length_controlled", "cue_conflict", "noise_ceiling", "by_response_cut")


def _flat_parts(cell: dict) -> dict:
    """A control's keys, a part's keys as ``part/key`` (by_response_cut: {"whole": {...}, "cut": {...}})."""
    out = {}
    for k, v in cell.items():
        if isinstance(v, dict):
            out.update({f"{k}/{x}": y for x, y in v.items()})
        else:
            out[k] = v
    return out


def _control_problems(where: str, given: dict, card: dict) -> list[tuple[str, str, str]]:
    """A split's submitted controls against the recomputed ones, key by key. Each depends only
    on the outcomes, the frozen pairs and the run's own seed and resample count, so all of it
    is checked; a key the run did not report is not."""
    out = []
    for name in CONTROLS:
        want, got = card.get(name), given.get(name)
        if not isinstance(want, dict) or not isinstance(got, dict):
            continue
        want, got = _flat_parts(want), _flat_parts(got)
        out += [("recomputed", f"{where}/{name}/{k}", f"{got[k]!r}, but the predictions give {want[k]!r}")
                for k in want if k in got and _differs(got[k], want[k])]
    return out


def _stacked_problems(where: str, given: object, want: dict | None, same: bool) -> list[tuple[str, str, str]]:
    """A split's stacked entry against the one recomputed from the run's fit, the frozen
    confounds logits and the predictions: only when the run's confounds is the track's."""
    if want is None or not isinstance(given, dict):
        return []
    keys = ["accuracy", "diff"] + (["ci95", "diff_ci95"] if same else [])
    if "surface_diff" in want:  # the run's fit has the surface stack, and the track the lengths
        keys += ["adds_information", "surface_accuracy", "surface_diff"] + (["surface_diff_ci95"] if same else [])
    elif "surface_diff" not in given:
        keys.append("adds_information")
    # else: a track frozen without lengths cannot re-judge a verdict that weighed the surface stack
    return [("recomputed", f"{where}/stacked/{k}", f"{given.get(k)!r}, but the predictions give {want.get(k)!r}")
            for k in keys if _differs(given.get(k), want.get(k))]


def _baseline_problems(where: str, given: object, want_table: dict, same: bool, learned_too: bool
                       ) -> list[tuple[str, str, str]]:
    """A submission's baselines against the recomputed ones (the track's frozen per-pair
    outcomes on the run's resamples). A learned baseline is compared only when the run was
    fitted on what the track's was (the same reference tasks); a rule's accuracy always."""
    given = given if isinstance(given, dict) else {}
    out = []
    for name in sorted(set(given) - set(want_table)):
        out.append(("baselines", f"{where}/baselines/{name}", "not a baseline of this track"))
    for name, want in want_table.items():
        if want.get("learned") and not learned_too:
            continue
        got = given.get(name)
        if not isinstance(got, dict):
            out.append(("baselines", f"{where}/baselines/{name}", "missing"))
            continue
        keys = ["accuracy", "by_construction"] + (["ci95", "diff", "diff_ci95"] if same else [])
        for k in keys:
            if _differs(got.get(k), want.get(k)):
                out.append(("baselines", f"{where}/baselines/{name}/{k}",
                            f"{got.get(k)!r}, but the track's baselines give {want.get(k)!r}"))
    return out
