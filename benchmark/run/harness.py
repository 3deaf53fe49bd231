"""The held-out transfer run, step by step, resumable: data -> train -> score -> results.

Each finished step leaves its output in the run directory, written atomically, and
``--resume`` skips every step whose output is there:

    RUN/config.json            the resolved config (a resumed run must match it)
    RUN/model/                 the trained classifier or DPO policy, with RUN/train_log.jsonl;
                               its card model/README.md is written in the last step
    RUN/scores/<task>.<split>.json   rewards of one evaluated split (one file per split)
    RUN/results.json, predictions.jsonl, plots/, report.md, report.html   (last step)

Programmatic use::

    from rmbench.run.config import resolve
    from rmbench.run.harness import evaluate_model, run_holdout

    cfg = resolve("run.yaml", {"data.holdout": "writingprompts"})
    doc = run_holdout(cfg, Path("runs/mine"))                 # the results.json dict
    doc = evaluate_model(cfg, Path("runs/eval"), tasks=["writingprompts"])

``rmbench.run.plan.plan`` checks a config without training; ``score_rows`` scores any rows
with a model or a baseline exactly as a run does (the leaderboard's verify uses it).
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

from rmbench.atomic import write_json
from rmbench.errors import ConfigError, DataError
from rmbench.eval.external import ExternalRewards, parse_rewards_model
from rmbench.eval.metrics import under_config_rule
from rmbench.eval.results import results_document, write_predictions, write_results
from rmbench.model.config import check_dpo_settings
from rmbench.prepared.load import sample_across
from rmbench.prepared.resolve import resolve_data
from rmbench.run.config import RunConfig
from rmbench.run.evaluation import check_pairs_left, outside_model_info, outside_target
from rmbench.run.plan import (Plan, budget_note, check_start_model, plan, recorded_training, reference_plan,
                               task_name)
from rmbench.jsonlimits import read_json_file
from rmbench.run.rundir import run_directory

class Clock:
    """Wall time of a run across resumed invocations (RUN/timing.json holds the earlier ones)."""

    def __init__(self, run_dir: Path, started: float | None = None):
        self.path = run_dir / "timing.json"
        self.started = started if started is not None else time.perf_counter()
        self.before = read_json_file(self.path)["elapsed_s"] if self.path.is_file() else 0.0

    def total(self) -> float:
        return self.before + time.perf_counter() - self.started

    def mark(self) -> None:
        write_json(self.path, {"elapsed_s": round(self.total(), 3)})


def score_split(scorer, pairs: list[dict], with_delay: bool, label: str, console=None,
                progress: bool = True) -> dict:
    """Rewards of both sides of each pair and the truncation counts."""
    from rmbench.console import progress as progress_bar
    from rmbench.model.inputs import side_texts

    prompts, chosen, rejected = side_texts(pairs, with_delay)
    unique = scorer.pending_pairs(prompts, chosen, rejected)
    # A split whose responses were all scored with an earlier one (test within heldout_all) has
    # no work: no "0 inputs" line in the log for it.
    with progress_bar(f"scoring {label}", console=console, disable=not progress or not unique, transient=True,
                      unit="inputs") as bar:
        task = bar.add_task(label, total=unique)
        rc, rr = scorer.score_pairs(prompts, chosen, rejected, progress=lambda n: bar.advance(task, n))
    # per-pair cut flags for predictions.jsonl, and a judge's per-order verdicts
    extras = scorer.split_extras()
    cuts = extras.get("cuts") or {}
    cut_sides = sum(bool(p or c) for p, c in zip(cuts.get("prompt", []), cuts.get("chosen", []))) + \
        sum(bool(p or r) for p, r in zip(cuts.get("prompt", []), cuts.get("rejected", [])))
    return {"chosen": rc, "rejected": rr, "truncated": {**scorer.truncated, "any": cut_sides}, **extras}


def score_rows(target, rows: list[dict], *, with_delay: bool, seed: int, label: str = "", console=None,
               progress: bool = False) -> dict:
    """Rewards for ``rows`` from a ``RewardScorer``, a rule baseline's name, a fitted
    ``ConfoundsModel`` (``rmbench.eval.confounds``) or a rewards file (``rmbench.eval.external``):
    what every run stores per split."""
    from rmbench.eval.baselines import LEARNED_BASELINES, baseline_rewards
    from rmbench.eval.confounds import ConfoundsModel

    if isinstance(target, str) and target in LEARNED_BASELINES:
        raise DataError(f"baseline:{target} is fitted, not a rule: score with "
                        "ConfoundsModel.from_dict(results['confounds']) instead of its name")
    if isinstance(target, (str, ConfoundsModel, ExternalRewards)):
        c, r = baseline_rewards(target, rows, seed) if isinstance(target, str) else target.rewards(rows)
        # a rule or a fit reads no tokens; whether a scorer elsewhere cut its inputs is not known here
        cut = {"unknown": True} if isinstance(target, ExternalRewards) else {"prompt": 0, "response": 0, "any": 0}
        return {"chosen": c, "rejected": r, "truncated": cut}
    return score_split(target, rows, with_delay, label, console, progress)


def score_targets(cfg: RunConfig, p: Plan, run_dir: Path, scorer_or_baseline, console=None,
                  progress: bool = True, role_of_heldout: str = "heldout", clock: Clock | None = None
                  ) -> tuple[dict, dict, dict]:
    """Score every target (skipping those already on disk) and build per-task scorecards
    (``rmbench.run.evaluation``: the confounds fit, contamination, the scoring loop)."""
    from rmbench.run.evaluation import score_targets as score_all

    return score_all(cfg, p, run_dir, scorer_or_baseline, console, progress, role_of_heldout, clock)


def finish(cfg: RunConfig, p: Plan, run_dir: Path, model_info: dict, results: dict, pairs_by: dict,
           rewards_by: dict, clock: Clock, console=None) -> dict:
    from rmbench.eval import report
    from rmbench.eval.plots_run import run_plots
    from rmbench.model.trainlog import LOG_FILE, read_log
    from rmbench.run.evaluation import confounds_block, contamination_block

    if model_info.get("id") == "baseline:confounds":
        model_info = {**model_info, "confounds": confounds_block(p)}
    doc = results_document(cfg=cfg.to_dict(), data=p.data, data_source=cfg.data.source,
                           model_info=model_info, holdout=p.holdout, train_tasks=p.train_tasks,
                           results=results, wall_time_s=clock.total(), flags=p.flags,
                           extra={"confounds": confounds_block(p), "contamination": contamination_block(p),
                                  "stacked": p.stacked or {"available": False, "reason": "not fitted"}})
    write_predictions(run_dir / "predictions.jsonl", pairs_by, rewards_by, model_id=model_info["id"],
                      cuts_by_split=saved_cuts(run_dir, pairs_by))
    log = run_dir / LOG_FILE  # a trained model's log history (rmbench.model.trainlog)
    doc["plots"] = run_plots(doc, rewards_by, run_dir / "plots", read_log(log) if log.is_file() else None)
    write_results(run_dir / "results.json", doc)
    report.write_report(doc, run_dir / "report.md")
    if model_info.get("path") == "model/" and (run_dir / "model").is_dir():  # a model this run trained
        from rmbench.run.card import write_model_card

        write_model_card(run_dir / "model", doc, pairs_by, rewards_by)  # quotes the results: written after them
    return doc


@under_config_rule
def run_holdout(cfg: RunConfig, run_dir: Path, console=None, progress: bool = True,
                holdouts: list[str] | None = None) -> dict | None:
    """Train on the held-in tasks, evaluate everywhere; returns results.json (None on non-main processes).

    ``holdouts`` replaces ``cfg.data.holdout`` with several held-out tasks (the sweep's
    transfer cells: train on one task, hold out all the others).
    """
    from accelerate import PartialState

    from rmbench.model.load import check_model_name
    from rmbench.model.memory import mmap_large_allocations

    import torch

    started = time.perf_counter()
    mmap_large_allocations()  # activations are unmapped when freed: the step's peak is what is alive (memory.py)
    # cpu=True lets a multi-process launch without GPUs use gloo (MULTI_CPU) instead of
    # silently running N independent single-process copies.
    state = PartialState(cpu=not torch.cuda.is_available())
    check_model_name(cfg.model.name)
    if cfg.data.reference_tasks:  # run fits and checks against what it trains on, nothing else
        raise ConfigError("data.reference_tasks is for `rmbench evaluate`; a run's reference is its --train-tasks")
    with state.main_process_first():
        spec = resolve_model(cfg, training=True, console=console)
        data_dir = resolve_data(cfg.data.source, cfg.data.cache_dir, progress=progress and state.is_main_process,
                                split_by=cfg.data.split_by)
    p = plan(cfg, data_dir, holdouts or [cfg.data.holdout], cfg.data.train_tasks or None)
    check_start_model(spec, p.holdout)
    check_pairs_left(cfg, p, release=True)  # not after minutes of training; the index is rebuilt to score
    with run_directory(run_dir, cfg, [data_dir, _local(cfg.model.name)], main=state.is_main_process):
        state.wait_for_everyone()
        return _train_and_score(cfg, spec, p, data_dir, run_dir, state, started, console, progress)


def _local(model: str) -> Path | None:
    """A model given as a local path or a rewards file (an input a run must not write over), else None."""
    model = parse_rewards_model(model or "") or model
    return Path(model) if model and Path(model).exists() else None


def _train_and_score(cfg: RunConfig, spec, p: Plan, data_dir: Path, run_dir: Path, state, started: float, console,
                     progress: bool) -> dict | None:
    from rmbench.model.memory import release_memory
    from rmbench.model.dpo_train import fit_dpo
    from rmbench.model.train import fit

    clock = Clock(run_dir, started)
    model_dir, info_path = run_dir / "model", run_dir / "train_info.json"
    if not info_path.is_file() and spec.kind == "judge":
        if state.is_main_process:  # judges are scored as they are
            write_json(info_path, {"trained": False, "why": f"model kind {spec.kind} is not trained by rmbench"})
    elif not info_path.is_file():
        train = sample_across(data_dir, p.train_tasks, "train", cfg.data.max_train_pairs, cfg.seed)
        val = sample_across(data_dir, p.train_tasks, "validation", cfg.data.max_validation_pairs, cfg.seed)
        # poe's bias expert sees the delay only where baseline:confounds may (no rule fixes the time order)
        delay_ok = not any(p.data.preferred_later(t) for t in p.train_tasks + p.holdout)
        if progress and state.is_main_process:
            from rmbench.machine import busy_note
            from rmbench.model.train import precision_note

            notes = [precision_note(cfg.model.mixed_precision, spec.dtype), busy_note(),  # busy: None when idle
                     budget_note(cfg, len(train), sum(p.data.pairs(t, "train") for t in p.train_tasks))]
            print(*filter(None, notes), sep="\n", file=sys.stderr, flush=True)
        if spec.kind == "dpo":  # the policy itself, by DPO against its frozen start (rmbench.model.dpo_train)
            info = fit_dpo(cfg, spec, train, val, run_dir, model_dir, console, progress)
        else:
            info = fit(cfg, train, val, run_dir, model_dir, console, progress, debias_delay=delay_ok)
        del train, val
        release_memory()  # training's freed heap (~1.4 GB on CPU) would stay resident through scoring
        if state.is_main_process:
            write_json(info_path, info)
            shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)  # only resume needed them
            clock.mark()
    state.wait_for_everyone()
    if not state.is_main_process:
        return None
    info = read_json_file(info_path)
    trained = model_dir if spec.kind != "judge" else None
    scorer = kind_scorer(cfg, spec, trained, console)
    results, pairs_by, rewards_by = score_targets(cfg, p, run_dir, scorer, console, progress, clock=clock)
    model_info = model_block(cfg, spec, scorer, pairs_by, trained)
    model_info["training"] = info
    return finish(cfg, p, run_dir, model_info, results, pairs_by, rewards_by, clock, console)


@under_config_rule
def evaluate_model(cfg: RunConfig, run_dir: Path, tasks: list[str], trained_on: list[str] | None = None,
                   console=None, progress: bool = True) -> dict:
    """Score an existing model (or ``baseline:NAME``) without training.

    ``tasks`` (default: every task in the data) are scored on heldout_all, heldout_all_hard,
    test and test_hard with role "heldout" -- we cannot know what an outside model saw.
    Tasks in ``trained_on``, and those an rmbench-trained model records training on
    (``recorded_training``), are scored on test with role "in_domain", exactly as ``run``
    reports its held-in tasks. The reference is ``data.reference_tasks`` (default: every
    task not evaluated as held out): baseline:confounds is fitted on its training pairs, and
    held-out pairs that also occur in it are dropped as contaminated.
    """
    from rmbench.eval.baselines import parse_baseline_model
    from rmbench.model.load import check_model_name
    from rmbench.model.memory import mmap_large_allocations

    started = time.perf_counter()
    mmap_large_allocations()
    spec = None
    if not (parse_baseline_model(cfg.model.name) or parse_rewards_model(cfg.model.name)):
        check_model_name(cfg.model.name)
        spec = resolve_model(cfg, training=False, console=console)
    data_dir = resolve_data(cfg.data.source, cfg.data.cache_dir, progress=progress, split_by=cfg.data.split_by)
    from rmbench.prepared.manifest import Prepared

    data = Prepared.open(data_dir)
    known = set(data.tasks)
    trained_on = [t.lower() if t.lower() in known else task_name(t) for t in trained_on or []]
    names = ([t.lower() if t.lower() in known else task_name(t) for t in tasks] if tasks else data.tasks_with("test"))
    trained_on += recorded_training(spec, names, trained_on, progress)
    if not [t for t in names if t not in trained_on]:  # nothing to score: say why, per task, not a schema error
        empty = [t for t in data.tasks if t not in trained_on] or data.tasks
        raise DataError(" ".join(str(data.empty_split_error(t, "test")) for t in empty))
    p = plan(cfg, data_dir, [t for t in names if t not in trained_on], trained_on or None, need_train=False)
    p.reference = reference_plan(data, cfg.data.reference_tasks, p.holdout)  # default: what it may have seen
    check_pairs_left(cfg, p)
    if spec is not None:  # a model (or rewards file) that cannot load leaves no run directory behind
        from transformers import set_seed

        set_seed(cfg.seed)  # a head drawn at load time is the same for the same seed (verify redoes it)
        target = kind_scorer(cfg, spec, None, console)
    else:  # a baseline, or rewards scored elsewhere
        target = outside_target(cfg, console)
    with run_directory(run_dir, cfg, [data_dir, _local(cfg.model.name)]):
        return _score_model(cfg, spec, target, p, run_dir, started, console, progress)


def _score_model(cfg: RunConfig, spec, target, p: Plan, run_dir: Path, started: float, console,
                 progress: bool) -> dict:
    clock = Clock(run_dir, started)
    results, pairs_by, rewards_by = score_targets(cfg, p, run_dir, target, console, progress, clock=clock)
    model_info = outside_model_info(cfg, target) if spec is None else model_block(cfg, spec, target, pairs_by, None)
    return finish(cfg, p, run_dir, model_info, results, pairs_by, rewards_by, clock, console)


# -- model kinds (classifier, dpo, judge): rmbench.model.kinds does the work ------------
def resolve_model(cfg: RunConfig, training: bool, console=None):
    """Settle the model section's auto values (kind, input format, max length, dtype) in ``cfg``."""
    from rmbench.model.kinds import resolve_spec

    spec = resolve_spec(cfg.model, training=training, console=console,  # not from config.resolve: beta counts as given
                        beta_given="model.dpo_beta" in getattr(cfg, "given", ("model.dpo_beta",)))
    if training and spec.kind == "dpo":  # before the run directory: a classifier-only setting is refused
        check_dpo_settings(cfg.train)
    return spec


def kind_scorer(cfg: RunConfig, spec, trained_dir: Path | None, console=None):
    """The scorer of a run: the classifier or DPO policy trained into ``trained_dir``, else the model ``spec`` names."""
    from rmbench.model.kinds import build_scorer
    from rmbench.model.scoring import RewardScorer

    if trained_dir is not None and spec.kind == "dpo":  # the trained policy against the reference it trained with
        scorer = build_scorer(replace(spec, name=str(trained_dir), path=str(trained_dir)), cfg.model,
                              cfg.eval.batch_size, console)
    elif trained_dir is not None:
        # scored in the model section's dtype, as an evaluated model is (--dtype; float32 for minilm and smollm2)
        scorer = RewardScorer(str(trained_dir), max_length=spec.max_length, batch_size=cfg.eval.batch_size,
                              input_format=spec.input_format, dtype=spec.dtype)
    else:
        scorer = build_scorer(spec, cfg.model, cfg.eval.batch_size, console)
    scorer.memo = {}  # test_hard reuses test's responses
    return scorer


def model_block(cfg: RunConfig, spec, scorer, pairs_by: dict, trained_dir: Path | None) -> dict:
    """results.json's model entry: identity, weights hash and how its inputs were rendered."""
    from rmbench.model.kinds import input_provenance
    from rmbench.model.load import parameter_count, weights_sha256

    local = Path(trained_dir or spec.path)
    models = [m for m in (scorer.model, getattr(scorer, "reference", None)) if m is not None]
    block = {"id": cfg.model.name, "base_model": cfg.model.name,
             "path": "model/" if trained_dir else (str(local) if local.exists() else None),
             "parameters": parameter_count(models[0]) if models else 0,
             "weights_sha256": weights_sha256(local) if local.is_dir() else None, "kind": "reward_model",
             "model_kind": spec.kind,
             "input": input_provenance(spec, scorer, pairs_by, with_delay=cfg.data.with_delay, mcfg=cfg.model)}
    source = Path(spec.path) / "rmbench-gguf.json"  # the base model's, for a model trained from it too
    if source.is_file():
        block["source"] = read_json_file(source)  # the GGUF file the weights were dequantised from
    return block


def kind_cards(saved: dict, eval_cfg, seed: int) -> dict:
    """Kind-specific entries of a split's card: a judge's position consistency and first-position baseline."""
    if "judge" not in saved:
        return {}
    from rmbench.eval.judge import judge_card

    return {"judge": judge_card(saved["judge"], eval_cfg, seed)}


def saved_cuts(run_dir: Path, pairs_by: dict) -> dict:
    """Per-pair cut flags of each scored split, from its scores file (absent for baselines)."""
    out = {}
    for task, split in pairs_by:
        path = run_dir / "scores" / f"{task}.{split}.json"
        cuts = read_json_file(path).get("cuts") if path.is_file() else None
        if cuts:
            out[(task, split)] = cuts
    return out
