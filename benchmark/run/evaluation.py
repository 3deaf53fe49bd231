"""What a run scores and against what: the held-in reference, contamination, every target.

Before anything is scored, ``prepare_reference`` looks at the plan's reference tasks (the
held-in tasks: ``Plan.reference_tasks``) and

- fits ``baseline:confounds`` on their training pairs (``rmbench.eval.confounds``), so it
  stands in every scorecard beside the single rules and can be evaluated as a model;
- indexes their prompts and responses (``rmbench.prepare.dedup.ContaminationIndex``), so
  held-out pairs whose post or either response also occurs there are dropped (counted per
  task, split and reason; ``data.keep_contaminated`` counts them and keeps them).

``score_targets`` then scores every target of ``rmbench.run.plan.evaluation_targets`` --
a held-out task's ``heldout_all``, ``heldout_all_hard``, ``test`` and ``test_hard``, each
held-in task's ``test`` -- and builds each split's scorecard
(``rmbench.eval.scorecard.split_scorecard``), and the stacked predictor (confounds + the
model's margin: ``rmbench.run.incremental``) gives each held-out split its "adds information
beyond surface features" entry.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rmbench.atomic import write_json
from rmbench.errors import DataError
from rmbench.eval.metrics import post_id
from rmbench.jsonlimits import read_json_file
from rmbench.prepare.splits import EVAL_SPLITS
from rmbench.prepared.load import load_split, sample_across
from rmbench.task import HARD_MAX_LENGTH_RATIO


def prepare_reference(cfg, p) -> None:
    """Fit the confounds baseline and index the reference tasks' texts, on the plan."""
    from rmbench.eval.confounds import fit_confounds

    ref = [t for t in p.reference_tasks if t not in p.holdout]
    fit_rows = sample_across(p.data_dir, [t for t in ref if p.data.pairs(t, "train")], "train", 0, cfg.seed)
    involved = ref + list(p.holdout)
    # The delay is a surface feature only where no pairing rule involved fixes the time order.
    use_delay = not any(p.data.preferred_later(t) for t in involved)
    n_posts = len({post_id(r["pair_id"]) for r in fit_rows})
    p.fit_size = {"fit_pairs": len(fit_rows), "fit_posts": n_posts, "min_fit_pairs": cfg.eval.min_fit_pairs,
                  "min_fit_posts": cfg.eval.min_fit_posts}
    if len(fit_rows) >= max(1, cfg.eval.min_fit_pairs) and n_posts >= cfg.eval.min_fit_posts:
        p.confounds = fit_confounds(fit_rows, use_delay=use_delay, fit_tasks=sorted({r["task"] for r in fit_rows}))
    elif not ref and len(p.data.tasks) == 1:  # no other task to name (e.g. `rmbench feedback export`'s data)
        p.confounds_missing = (f"not fitted: the data holds no task besides {p.data.tasks[0]}, so there is nothing "
                               "to fit it on; the other baselines still apply")
    elif not ref:  # every task is evaluated as held out: nothing is left to fit the surface on
        p.confounds_missing = ("not fitted: there is no reference task (every task of the data is evaluated as held "
                               "out); name the tasks to evaluate with --tasks, and the others become its reference, "
                               "or name one with --reference-tasks")
    else:  # a fit on a handful of pairs is noise, and must never decide a verdict
        p.confounds_missing = (f"not fitted ({len(fit_rows)} pairs from {n_posts} posts): the training pairs of "
                               f"the reference tasks ({', '.join(ref) or 'none'}) are under eval.min_fit_pairs "
                               f"({cfg.eval.min_fit_pairs}) or eval.min_fit_posts ({cfg.eval.min_fit_posts}); "
                               "name a larger reference with --reference-tasks")
    index_reference(cfg, p)


def index_reference(cfg, p) -> None:
    """Index the reference tasks' texts: what a held-out pair is checked against for contamination."""
    from rmbench.prepare.dedup import ContaminationIndex
    from rmbench.run.seen import index_seen

    ref = [t for t in p.reference_tasks if t not in p.holdout]
    index = ContaminationIndex()
    for t in ref:
        index.add_rows(load_split(p.data_dir, t, "heldout_all"))
    seen = index_seen(cfg, index)  # --seen: what the model was trained on, beside the reference
    p.contamination = {t: {"checked_against": ref, "kept": bool(cfg.data.keep_contaminated),
                            "pairs": {}, "by_reason": Counter(), **({"seen": seen} if seen else {})} for t in p.holdout}
    p.contamination_index = index


def cue_conflict_ratio(data, task: str) -> float:
    """The length ratio that bounds a task's cue-conflict cell: its hard-split rule's
    (``hard_max_length_ratio``), so the cell is the hard split's counterpart."""
    return float(data.rules(task).get("hard_max_length_ratio") or HARD_MAX_LENGTH_RATIO)


def split_rows(cfg, p, task: str, split: str, role: str = "heldout") -> list[dict]:
    """The rows a run scores on one target: the split (at most ``data.limit``),
    without the contaminated pairs of a held-out task. The leaderboard freezes these."""
    from rmbench.run.adapt import UNSEEN_SPLITS

    if split in UNSEEN_SPLITS:
        return _clean(cfg, p, task, split, unseen_rows(cfg, p, task, split))
    rows = load_split(p.data_dir, task, split, cfg.data.limit, cfg.seed)
    return rows if role == "in_domain" else _clean(cfg, p, task, split, rows)


def unseen_rows(cfg, p, task: str, split: str) -> list[dict]:
    """heldout_unseen(_hard): heldout_all(_hard) (its --limit sample) without the posts of the
    largest k's adaptation draw, so every cell of a curve scores the same pairs."""
    from rmbench.run.adapt import UNSEEN_SPLITS, drawn_posts

    if task not in p.unseen_excluded:
        draws = [int(d) for d in cfg.data.adapt_draws] or [cfg.seed]
        p.unseen_excluded[task] = drawn_posts(p.data_dir, task, p.unseen_k, draws)
    left_out = p.unseen_excluded[task]
    rows = load_split(p.data_dir, task, UNSEEN_SPLITS[split], cfg.data.limit, cfg.seed)
    return [r for r in rows if post_id(r["pair_id"]) not in left_out]


def _clean(cfg, p, task: str, split: str, rows: list[dict]) -> list[dict]:
    """Held-out rows without the contaminated ones (unless kept), counted."""
    index = p.contamination_index
    block = p.contamination.get(task)
    if index is None or block is None or not index.keys:
        return rows
    why = [index.reason(r) for r in rows]
    hits = Counter(w for w in why if w)
    block["pairs"][split] = sum(hits.values())
    if split == "heldout_all":  # every post once: the reasons of the split that covers all
        block["by_reason"] = hits
    if cfg.data.keep_contaminated:
        return rows
    return [r for r, w in zip(rows, why) if w is None]


def check_pairs_left(cfg, p, release: bool = False) -> None:
    """Fail before any work (training, a run directory) when dropping the contaminated pairs
    leaves a held-out task nothing to score, naming the reference tasks its pairs occur in.
    ``release`` (a run, which trains next): only the index is built, and let go afterwards
    (``score_targets`` fits confounds and indexes again after training): fitting confounds
    before training, on every reference training pair, raised the main job's peak RSS by
    ~60 MB (bench/bench_main_job.py: 1,435 -> 1,495 MB)."""
    if not release:
        if p.contamination_index is None:
            prepare_reference(cfg, p)
        _check_pairs_left(cfg, p)
        return
    index_reference(cfg, p)
    try:
        _check_pairs_left(cfg, p)
    finally:
        p.contamination_index = None


def _check_pairs_left(cfg, p) -> None:
    from rmbench.prepare.dedup import ContaminationIndex
    from rmbench.run.plan import HELDOUT_SPLITS

    if cfg.data.keep_contaminated:
        return
    for task in p.holdout:
        splits = p.heldout_splits or HELDOUT_SPLITS
        if any(split_rows(cfg, p, task, sp) for sp in splits):
            continue
        rows = load_split(p.data_dir, task, splits[0], cfg.data.limit, cfg.seed)
        where = []  # each reference task on its own: which of them holds the copies
        for ref in p.contamination[task]["checked_against"]:
            alone = ContaminationIndex().add_rows(load_split(p.data_dir, ref, "heldout_all"))
            hits = sum(1 for r in rows if alone.reason(r))
            where += [f"{ref} ({hits} of them)"] if hits else []
        where += [f"the data the model saw, {s['data']}" for s in p.contamination[task].get("seen", ())]
        sample = f" (the --limit {cfg.data.limit} sample)" if cfg.data.limit else ""
        raise DataError(f"{task}: all {len(rows)} held-out pairs of {splits[0]}{sample} are contaminated -- their post "
                        f"or a response also occurs in the reference task(s) {', '.join(where)} -- so nothing is left to score. "
                        "Pass --keep-contaminated to score them anyway (counted and flagged), or check against "
                        "other tasks (evaluate --reference-tasks, run --train-tasks, --seen).")


def contamination_block(p) -> dict:
    return {t: {**b, "by_reason": dict(sorted(b["by_reason"].items()))} for t, b in p.contamination.items()}


def confounds_block(p) -> dict:
    size = getattr(p, "fit_size", None) or {}
    if p.confounds is None:
        return {"available": False, "reason": p.confounds_missing or "not fitted", **size}
    return {"available": True, **p.confounds.to_dict(), **size}


def outside_target(cfg, console=None):
    """What ``evaluate`` scores when no model is loaded: a baseline's name, or the rewards of a
    file scored elsewhere (``rmbench.eval.external``), read and checked before anything runs."""
    from rmbench.eval.baselines import parse_baseline_model
    from rmbench.eval.external import ExternalRewards, parse_rewards_model

    path = parse_rewards_model(cfg.model.name)
    if path is None:
        return parse_baseline_model(cfg.model.name)
    rewards = ExternalRewards(path)
    if console is not None:
        console.print(rewards.summary(), style="dim" if not rewards.dropped else "yellow")
    return rewards


def outside_model_info(cfg, target) -> dict:
    """results.json's ``model`` for a baseline or a rewards file (weights and size unknown to rmbench)."""
    from rmbench.eval.external import ExternalRewards

    if isinstance(target, ExternalRewards):
        return {"id": f"rewards:{target.path.name}", "base_model": None, "path": str(target.path), "parameters": None,
                "weights_sha256": None, "kind": "reward_model", "model_kind": "external",
                "rewards_file": target.provenance()}
    return {"id": f"baseline:{target}", "base_model": None, "path": None, "parameters": 0,
            "weights_sha256": None, "kind": "baseline"}


def _target(scorer_or_baseline, p):
    """A baseline name becomes the fitted confounds model where that is what was asked for."""
    if scorer_or_baseline == "confounds":
        if p.confounds is None:
            raise DataError(f"baseline:confounds cannot be evaluated: {p.confounds_missing}")
        return p.confounds
    return scorer_or_baseline


def score_targets(cfg, p, run_dir: Path, scorer_or_baseline, console=None, progress: bool = True,
                  role_of_heldout: str = "heldout", clock=None) -> tuple[dict, dict, dict]:
    """Score every target (skipping those already on disk) and build per-task scorecards."""
    from rmbench.eval.scorecard import baseline_outcomes, sample_block, split_scorecard
    from rmbench.run.incremental import confounds_logits, length_margins
    from rmbench.run.harness import kind_cards, score_rows
    from rmbench.run.adapt import UNSEEN_SPLITS
    from rmbench.run.plan import evaluation_targets

    if p.contamination_index is None:
        prepare_reference(cfg, p)
    from rmbench.eval.external import ExternalRewards

    target = _target(scorer_or_baseline, p)
    external = isinstance(target, ExternalRewards)
    results, pairs_by, rewards_by, logits_by = {}, {}, {}, {}
    for task, split, role in evaluation_targets(p, role_of_heldout):
        pairs = split_rows(cfg, p, task, split, role)
        if not pairs:
            continue  # an empty held-out test_hard (or held-in test) is reported by its absence
        path = run_dir / "scores" / f"{task}.{split}.json"
        ids = [x["pair_id"] for x in pairs]
        if external and not target.covers(ids, f"{task}/{split} (the pairs of {task}'s "
                                                 f"{' + '.join(EVAL_SPLITS.get(split, (split,)))} split files)"):
            target.left_out.append(f"{task}/{split}")  # a split the file has no pair of: named, not scored
            continue
        saved = read_json_file(path) if path.is_file() and not external else None  # a rewards file may have changed
        if saved is None or saved.get("pair_ids") != ids:
            saved = score_rows(target, pairs, with_delay=cfg.data.with_delay, seed=cfg.seed,
                               label=f"{task}/{split}", console=console, progress=progress)
        saved["pair_ids"] = ids
        confounds = p.confounds or p.confounds_missing
        logit = confounds_logits(p.confounds, pairs) if p.confounds is not None else None  # once: 0.3 s per 5k pairs
        others = baseline_outcomes(pairs, cfg.seed, confounds, logit)
        # each baseline's per-pair outcome beside the model's (and confounds' logit, which with
        # results.json's stacked fit gives the stacked predictor's), so that figures pooled over
        # runs (sweep --leave-one-out) pair the model with exactly what its card used
        saved["baselines"] = {k: v if isinstance(v, str) else v.tolist() for k, v in others.items()}
        if logit is not None:
            saved["confounds_logit"] = logit.tolist()
            saved["length_margin"] = length_margins(pairs).tolist()  # with them, the surface stack's
        write_json(path, saved)
        if clock:
            clock.mark()
        small = p.data.hard_is_small(task) if split == "test_hard" else None
        ratio = cue_conflict_ratio(p.data, task)
        card = split_scorecard(pairs, saved["chosen"], saved["rejected"], cfg=cfg.eval, seed=cfg.seed,
                               preferred_later=p.data.preferred_later(task), small=small,
                               truncated=saved["truncated"], cuts=saved.get("cuts"), confounds=confounds,
                               hard_ratio=ratio, others=others,
                               itself=scorer_or_baseline if isinstance(scorer_or_baseline, str) else None)
        card.update(kind_cards(saved, cfg.eval, cfg.seed))
        if split in UNSEEN_SPLITS:  # what it leaves out: the posts of the adaptation curve's largest draw
            card["left_out"] = {"adapt_k": p.unseen_k, "posts": len(p.unseen_excluded[task])}
        if cfg.data.limit and p.data.pairs(task, split) > cfg.data.limit:  # load_split drew a sample
            card["sample"] = sample_block(len(pairs), card["posts"], p.data.posts(task, split))
        entry = results.setdefault(task, {"role": role, "splits": {}})
        entry["splits"][split] = card
        if task in p.contamination:
            entry["contamination"] = contamination_block(p)[task]
        pairs_by[(task, split)] = pairs
        logits_by[(task, split)] = logit
        rewards_by[(task, split)] = (saved["chosen"], saved["rejected"])
    if external and not results:
        raise DataError(f"rewards file {target.path} has no pair of any split evaluated here "
                        f"({', '.join(target.left_out)}): score the pairs of the prepared split files "
                        "(`rmbench export --format trl` writes them with their pair_id)")
    from rmbench.run.incremental import add_stacked

    p.stacked = add_stacked(cfg, p, run_dir, target, results, pairs_by, rewards_by, console, progress, logits_by)
    if external and console is not None:  # what the file lacked, said where the user acts on it
        if target.left_out:
            console.print(f"not scored (no pair of them in the rewards file): {', '.join(target.left_out)}",
                          style="yellow")
        if not p.stacked.get("available"):
            console.print(f"adds info? not fitted: {p.stacked.get('reason')}", style="yellow")
    return results, pairs_by, rewards_by
