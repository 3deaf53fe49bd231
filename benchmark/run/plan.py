"""Check a run before any work: task names, leakage, empty held-out splits, the delay rule.

``plan`` turns a config and a prepared directory into the list of tasks to train on and
to evaluate, or fails in milliseconds with a message that says what to change. A model
rmbench trained records the tasks it trained on: ``check_start_model`` and
``recorded_training`` keep those from being held out; ``budget_note`` is the line a run
prints about how much of the training data it uses.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from rmbench.errors import DataError, LeakageError
from rmbench.prepared.manifest import Prepared
from rmbench.registry import get_task

DELAY_FLAG = "with_delay_leaks_label"


@dataclass
class Plan:
    data: Prepared
    holdout: list[str]
    train_tasks: list[str]
    flags: list[str]
    # The held-in tasks' data: what baseline:confounds is fitted on and what held-out pairs
    # are checked against for contamination (run: the training tasks; evaluate: every task
    # not evaluated as held out, since we cannot know what an outside model saw).
    reference: list[str] | None = None
    # Filled by rmbench.run.evaluation before scoring: the fitted baseline:confounds (or why
    # there is none) and the contamination counts per held-out task.
    confounds: object | None = None
    confounds_missing: str | None = None
    fit_size: dict = field(default_factory=dict)
    stacked: dict | None = None  # the stacked predictor's fit (rmbench.run.incremental)  # pairs and posts it was (or would have been) fitted on
    contamination: dict = field(default_factory=dict)
    contamination_index: object | None = None  # rmbench.prepare.dedup.ContaminationIndex
    # The held-out splits scored (an adapted model has trained on some held-out posts, so
    # it is scored on test and test_hard, and on heldout_unseen under unseen_k, never on heldout_all).
    heldout_splits: tuple[str, ...] = ()
    # data.adapt_unseen: the largest k of an adaptation curve, whose drawn posts heldout_unseen
    # leaves out (rmbench.run.adapt); 0: no such split. unseen_excluded caches those posts per task.
    unseen_k: int = 0
    unseen_excluded: dict = field(default_factory=dict)

    @property
    def reference_tasks(self) -> list[str]:
        return list(self.train_tasks if self.reference is None else self.reference)

    @property
    def data_dir(self) -> Path:
        return self.data.path


def task_name(name: str) -> str:
    """The registered task's key; unknown -> ``UnknownTaskError`` with suggestions."""
    return get_task(name).name.lower()


def _key(data: Prepared, name: str) -> str:
    # A task whose plugin is gone can still be named if the data holds it.
    return name.lower() if name.lower() in data.tasks else task_name(name)


def plan(cfg, data_dir: Path, holdout: list[str], train_tasks: list[str] | None, need_train: bool = True) -> Plan:
    data = Prepared.open(data_dir)
    have = data.tasks
    holdout = [_key(data, h) for h in holdout]
    for h in holdout:
        if h not in have:
            raise DataError(f"the data in {data_dir} has no task {h!r} (it has: {', '.join(have)})")
        if not data.pairs(h, "test"):
            raise data.empty_split_error(h, "test")
    if train_tasks:
        train_tasks = [_key(data, t) for t in train_tasks]
        leaked = sorted(set(train_tasks) & set(holdout))
        if leaked:
            raise LeakageError(f"{', '.join(leaked)} is both held out and in --train-tasks: training on the held-out "
                               "task leaks it into the model. Drop it from --train-tasks.")
        missing = [t for t in train_tasks if t not in have]
        if missing:
            raise DataError(f"--train-tasks {', '.join(missing)}: no data for them in {data_dir} (it has: {', '.join(have)})")
    elif need_train:
        train_tasks = [t for t in have if t not in holdout and data.pairs(t, "train")]
    train_tasks = train_tasks or []
    if need_train and not any(data.pairs(t, "train") for t in train_tasks):
        raise DataError(f"no training pairs: the held-in tasks ({', '.join(train_tasks) or 'none'}) have empty train splits")
    flags = []
    if cfg.data.with_delay:
        fixed = [t for t in holdout + train_tasks if data.preferred_later(t)]
        if fixed and not cfg.data.allow_delay_leak:
            raise LeakageError(
                f"--with-delay under the later-but-higher pairing rule ({', '.join(fixed)}) gives the label "
                "away: the chosen response is always the later one, so its longer delay tells the model "
                "which won. Use a pairing rule that does not fix the time order, or pass --allow-delay-leak "
                "to run anyway (results are flagged).")
        if fixed:
            flags.append(DELAY_FLAG)
    return Plan(data, holdout, train_tasks, flags, unseen_k=cfg.data.adapt_unseen)


def reference_plan(data: Prepared, names: list[str], evaluated: list[str]) -> list[str]:
    """``evaluate --reference-tasks``: the named tasks (checked like every task name: an
    unknown one answers with a did-you-mean), else every task not evaluated as held out."""
    if not names:
        return [t for t in data.tasks if t not in evaluated]
    keys = [_key(data, n) for n in names]
    missing = [t for t in keys if t not in data.tasks]
    if missing:
        raise DataError(f"--reference-tasks {', '.join(missing)}: no data for them in {data.path} "
                        f"(it has: {', '.join(data.tasks)})")
    both = sorted(set(keys) & set(evaluated))
    if both:
        raise LeakageError(f"{', '.join(both)} is both evaluated as held out and in --reference-tasks: a reference "
                           "task is what baseline:confounds is fitted on and what held-out pairs are checked "
                           "against. Drop it from one of them.")
    return list(dict.fromkeys(keys))


# Held-out splits in scoring order: heldout_all first, so test (a subset) is scored from memory.
HELDOUT_SPLITS = ("heldout_all", "heldout_all_hard", "test", "test_hard")


def hard_of(split: str) -> str:
    """A headline split's hard counterpart (similar-length, similar-time pairs of the same posts)."""
    return {"heldout_all": "heldout_all_hard", "heldout_unseen": "heldout_unseen_hard"}.get(split, "test_hard")


def evaluation_targets(p: Plan, role_of_heldout: str = "heldout") -> list[tuple[str, str, str]]:
    """(task, split, role): every post of each held-out task (heldout_all, heldout_all_hard:
    the headline), under ``data.adapt_unseen`` every post an adaptation curve has not seen
    (heldout_unseen, heldout_unseen_hard), and its test and test_hard (comparable with
    in-domain numbers); each held-in task's test."""
    from rmbench.run.adapt import UNSEEN_SPLITS

    splits = list(p.heldout_splits or HELDOUT_SPLITS)
    if p.unseen_k:  # after heldout_all (it holds them) and before test (they hold it): scored from memory
        at = sum(1 for s in splits if s in HELDOUT_SPLITS[:2])
        splits[at:at] = list(UNSEEN_SPLITS)
    targets = [(h, s, role_of_heldout) for h in p.holdout for s in splits]
    targets += [(t, "test", "in_domain") for t in p.train_tasks]
    return targets


def budget_note(cfg, used: int, available: int) -> str:
    """The line a run prints before training: how many of the held-in tasks' training pairs it
    trains on. Why: the default budget is sized for a three-minute demo, and on real dumps a
    model trained on it stays well below the surface features (BENCHMARKS.md (k))."""
    from rmbench.run.config import RunConfig

    budget = cfg.data.max_train_pairs
    if not budget or used >= available:
        return f"training pairs: all {used:,} of the held-in tasks"
    why = ", the default, sized for a quick demo run" if budget == RunConfig().data.max_train_pairs else ""
    return (f"training pairs: {used:,} of the held-in tasks' {available:,} (data.max_train_pairs={budget:,}{why}; "
            "--set data.max_train_pairs=0 trains on all)")


def recorded_training(spec, names: list[str], trained_on: list[str], progress: bool) -> list[str]:
    """The tasks of ``names`` an rmbench-trained model records having trained on (its config.json)
    that ``trained_on`` lacks: scored in-domain on test, never as held out (their heldout_all
    holds the very posts it trained on)."""
    recorded = [t for t in names if spec is not None and t in spec.trained_on and t not in trained_on]
    if recorded and len(recorded) == len([t for t in names if t not in trained_on]):
        raise DataError(f"{spec.name} was trained on {', '.join(recorded)} (its config.json, rmbench_input.trained_on): "
                        "no task is left to hold out; name one it did not train on with --tasks")
    if recorded and progress:
        print(f"note: {spec.name} was trained on {', '.join(recorded)} (its config.json): scored on test as in-domain, "
              "not held out", file=sys.stderr, flush=True)
    return recorded


def check_start_model(spec, holdout: list[str]) -> None:
    """A run that starts from an rmbench-trained model (``--model RUN/model``) may not hold out a
    task that model records training on: its heldout_all would score posts it trained on."""
    seen = [t for t in holdout if t in spec.trained_on]
    if seen:
        raise LeakageError(f"--model {spec.name} was trained on {', '.join(seen)} (its config.json, "
                           f"rmbench_input.trained_on): holding {'it' if len(seen) == 1 else 'them'} out would score "
                           "posts it trained on; hold out another task, or start from a model that did not see it")
