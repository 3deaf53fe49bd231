"""Few-shot adaptation ("internet feedback is pre-training"): a transfer model fine-tuned on k
pairs of the held-out task, scored on that task's posts it has not seen.

``rmbench sweep --adapt 0,100,1000``: the k = 0 cell is an ordinary ``rmbench run`` (train on
the held-in tasks, hold the task out: the pure transfer number); each k > 0 cell starts from
that cell's model and fine-tunes it on k pairs of the held-out task's *training* split
(``adaptation_draw``), for ``adapt_epochs`` passes. The checkpoint is selected (``select``) either
(``own``, the default) on a slice of the k pairs' own posts held aside from the fine-tuning, with
the starting model a candidate too, or on the same held-in validation pairs as the base
(``held-in``). Held-in pairs cannot see the held-out task get worse (BENCHMARKS.md (r)); with
``own`` a fine-tuning that does not beat its start on the task's own votes is not kept, which
removed the collapse at k = 100 and did as well at k = 1,000 (BENCHMARKS.md (s), (t)). Either way the held-out task's
own labels are the k pairs and no more.

The k pairs are drawn post by post, in one seeded order of the posts for every k, so a smaller
k's draw is the start of a larger one's, and the posts of the largest k's draw are the only ones
any cell has seen. Every cell of the curve, k = 0 included, is scored on ``heldout_unseen`` and
``heldout_unseen_hard``: every post of the held-out task but those (``data.adapt_unseen``, set by
the sweep; ``rmbench.run.evaluation.split_rows``). The curve's points are paired on those pairs.
An adapted model has seen some of the held-out task's posts, so it is never scored on
``heldout_all`` (role ``adapted``); ``test`` and ``test_hard``, whose posts are never drawn, are
scored too, comparable with in-domain figures.

Each cell is a run directory with the usual outputs; a finished one is never recomputed.
"""

from __future__ import annotations

import copy
import random
import shutil
import time
from collections import Counter
from pathlib import Path

from rmbench.atomic import write_json
from rmbench.errors import ConfigError
from rmbench.prepared.load import load_split, sample_across
from rmbench.jsonlimits import read_json_file

ADAPTED = "adapted"
SELECT = ("own", "held-in")  # where an adapted cell's checkpoint is chosen (module docstring); the first is the default
# own: the share of the k pairs, whole posts, held aside to choose on. A fifth: enough posts to
# see a collapse (the one in BENCHMARKS.md (r) cost 10 points), while most pairs still train.
OWN_SHARE = 0.2
# every post of the held-out task but those of the largest k's draw, and its hard pairs
UNSEEN_SPLITS = {"heldout_unseen": "heldout_all", "heldout_unseen_hard": "heldout_all_hard"}


def adaptation_draw(data_dir: Path, task: str, k: int, seed: int) -> list[dict]:
    """k pairs of ``task``'s training split, whole posts in a seeded order (the last one cut to
    make k). Whole posts, because pairs drawn one by one would touch most posts of the task at
    k = 1,000 and leave heldout_unseen little; one order for every k, so draws nest."""
    from rmbench.eval.metrics import post_id

    by_post: dict[str, list[dict]] = {}
    for r in load_split(data_dir, task, "train"):
        by_post.setdefault(post_id(r["pair_id"]), []).append(r)
    order = sorted(by_post)
    random.Random(f"{seed}:{task}:adapt").shuffle(order)
    drawn: list[dict] = []
    for post in order:
        if len(drawn) >= k:
            break
        drawn.extend(by_post[post][:k - len(drawn)])
    return sorted(drawn, key=lambda r: r["pair_id"])


def own_slice(drawn: list[dict], task: str, seed: int) -> tuple[list[dict], list[dict]]:
    """``drawn`` split into (fine-tuning pairs, selection pairs): whole posts in a seeded order go to
    the selection slice until it holds ``OWN_SHARE`` of the pairs, and at least one post stays to
    fine-tune on. A draw of one post cannot be split: ConfigError."""
    from rmbench.eval.metrics import post_id

    count = Counter(post_id(r["pair_id"]) for r in drawn)
    posts = sorted(count)
    if len(posts) < 2:
        raise ConfigError(f"--adapt-select own: the {len(drawn)} {task} pairs drawn come from {len(posts)} post; "
                          "choosing on the task's own posts needs at least two (a larger k, or --adapt-select held-in)")
    random.Random(f"{seed}:{task}:select").shuffle(posts)
    want, held, size = OWN_SHARE * len(drawn), set(), 0
    for post in posts[:-1]:
        if size >= want:
            break
        held.add(post)
        size += count[post]
    return ([r for r in drawn if post_id(r["pair_id"]) not in held],
            [r for r in drawn if post_id(r["pair_id"]) in held])


def _check_settled(info_path: Path, wanted: dict) -> None:
    """A cell that trained (or finished) under other adaptation settings is not reused as if it
    were this one: a sweep rerun into the same --out with another --adapt-lr or --adapt-select
    would otherwise report the old cells under the new flags."""
    if not info_path.is_file():
        return
    had = read_json_file(info_path).get("adapt") or {}
    had = {"select": "held-in", "start": "transfer", **had}  # as cells from before these options were made
    differ = {key: (had[key], v) for key, v in wanted.items() if key in had and had[key] != v}
    if differ:
        said = ", ".join(f"{key} {a!r} (asked: {b!r})" for key, (a, b) in differ.items())
        flag = f" (pass --adapt-select {had['select']} to continue that sweep)" if "select" in differ else ""
        raise ConfigError(f"{info_path.parent} was fine-tuned with {said}{flag}: give the sweep another --out (copy "
                          "cells/adapt-0 there to reuse the transfer model) or remove that cell")


def posts_of(pairs: list[dict]) -> set[str]:
    """The posts ``pairs`` come from."""
    from rmbench.eval.metrics import post_id

    return {post_id(r["pair_id"]) for r in pairs}


def drawn_posts(data_dir: Path, task: str, k: int, seeds: list[int]) -> set[str]:
    """The posts of the largest k's draw of every seed (``sweep --adapt --seeds``: a draw per
    seed): what heldout_unseen leaves out, so that no cell of the curve has seen its posts."""
    return set().union(*(posts_of(adaptation_draw(data_dir, task, k, s)) for s in seeds)) if k > 0 else set()


def run_adapted(base_cfg, base_dir: Path, run_dir: Path, k: int, epochs: float, console=None,
                progress: bool = True, seed: int | None = None, lr: float | None = None,
                select: str = SELECT[0], scratch: bool = False) -> dict:
    """Fine-tune ``base_dir/model`` on k held-out training pairs; returns results.json.
    ``seed`` (default the config's) draws the k pairs and orders the fine-tuning; ``lr``
    (default the config's train.learning_rate, the base's) is the fine-tuning's peak rate;
    ``select`` where the checkpoint is chosen (``SELECT``, module docstring).

    ``scratch`` (``sweep --adapt-scratch``): train on the same k pairs from the base cell's
    starting model instead (the config's model.name, a new reward head), at the base cell's own
    rate (``lr`` is for fine-tuning a trained reward model), choosing as ``select`` says but with
    no starting-model candidate (a random head): the same k votes without the other communities'."""
    from rmbench.model.load import weights_sha256
    from rmbench.model.train import fit
    from rmbench.prepared.resolve import resolve_data
    from rmbench.run.harness import Clock, finish, kind_scorer, resolve_model, score_targets
    from rmbench.run.rundir import prepare_run_dir
    from rmbench.run.plan import plan

    if select not in SELECT:
        raise ConfigError(f"--adapt-select {select!r}: expected one of {', '.join(SELECT)}")
    if base_cfg.model.kind not in ("auto", "classifier"):
        raise ConfigError(f"the adaptation curve fine-tunes classifiers; model.kind is {base_cfg.model.kind}")
    cfg = copy.deepcopy(base_cfg)
    cfg.model.name = base_cfg.model.name if scratch else str(base_dir / "model")
    cfg.seed = cfg.seed if seed is None else seed
    cfg.train.learning_rate = cfg.train.learning_rate if lr is None or scratch else lr
    cfg.train.epochs = epochs
    model_dir, info_path = run_dir / "model", run_dir / "train_info.json"
    start = "scratch" if scratch else "transfer"
    _check_settled(info_path, {"k": k, "seed": cfg.seed, "epochs": epochs, "learning_rate": cfg.train.learning_rate,
                               "select": select, "start": start})
    done = run_dir / "results.json"
    if done.is_file():
        return read_json_file(done)
    started = time.perf_counter()
    cfg.out = str(run_dir)
    cfg.train.resume = (run_dir / "config.json").is_file()
    # The auto values (max length, input format, kind) settled as the base cell settled them,
    # so the adapted model reads its inputs as the model it starts from did.
    spec = resolve_model(cfg, training=True, console=console)
    data_dir = resolve_data(cfg.data.source, cfg.data.cache_dir, progress=progress, split_by=cfg.data.split_by)
    p = plan(cfg, data_dir, [cfg.data.holdout], cfg.data.train_tasks or None)
    p.heldout_splits = ("test", "test_hard")  # and heldout_unseen(_hard) under data.adapt_unseen (plan)
    prepare_run_dir(run_dir, cfg)
    clock = Clock(run_dir, started)
    holdout = p.holdout[0]
    if not info_path.is_file():
        drawn = adaptation_draw(data_dir, holdout, k, cfg.seed)
        if select == "own":
            train, val = own_slice(drawn, holdout, cfg.seed)
        else:
            train, val = drawn, sample_across(data_dir, p.train_tasks, "validation", cfg.data.max_validation_pairs, cfg.seed)
        candidate = select == "own" and not scratch  # the trained model it starts from, kept unless beaten
        info = fit(cfg, train, val, run_dir, model_dir, console, progress, score_start=candidate)
        info["adapt"] = {"k": k, "pairs": len(drawn), "from": cfg.model.name, "start": start, "epochs": epochs,
                         "seed": cfg.seed, "learning_rate": cfg.train.learning_rate, "select": select}
        if select == "own":
            info["adapt"].update(kept_start(info, base_dir / "model", model_dir) if candidate
                                 else {"kept": info.get("best_checkpoint")},
                                 fine_tune_pairs=len(train), selection_pairs=len(val), selection_posts=len(posts_of(val)))
        write_json(info_path, info)
        shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)
        clock.mark()
    info = read_json_file(info_path)
    scorer = kind_scorer(cfg, spec, model_dir, console)
    results, pairs_by, rewards_by = score_targets(cfg, p, run_dir, scorer, console, progress,
                                                  role_of_heldout=ADAPTED, clock=clock)
    model_info = {"id": f"{base_cfg.model.name}+{holdout}:{k}" + (":scratch" if scratch else ""), "base_model": base_cfg.model.name,
                  "path": "model/", "parameters": info.get("parameters"), "weights_sha256": weights_sha256(model_dir),
                  "kind": "reward_model", "training": info}
    if not scratch:  # what it started from, by content: config.model.name is only the base cell's folder
        model_info["start_weights_sha256"] = weights_sha256(base_dir / "model")
    return finish(cfg, p, run_dir, model_info, results, pairs_by, rewards_by, clock, console)


def kept_start(info: dict, start: Path, model_dir: Path) -> dict:
    """``--adapt-select own``: where no checkpoint beat the starting model on the selection slice
    (a tie included: nothing says the fine-tuning helped), the starting model replaces the
    fine-tuned one in ``model_dir``. Returns what was kept, for train_info.json."""
    from rmbench.atomic import MARKER, atomic_dir

    best, first = info.get("best_validation_accuracy"), info.get("start_validation_accuracy")
    if best is not None and first is not None and best > first:
        return {"kept": info.get("best_checkpoint")}
    with atomic_dir(model_dir, overwrite=True) as tmp:  # model_dir is this cell's own, written by fit
        shutil.copytree(start, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MARKER))
    return {"kept": "start"}


def kept_of(cell: Path) -> str | None:
    """What an ``--adapt-select own`` cell kept (``kept_start``), from its train_info.json."""
    info = cell / "train_info.json"
    return (read_json_file(info).get("adapt") or {}).get("kept") if info.is_file() else None
