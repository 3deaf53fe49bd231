"""Few-shot adaptation ("internet feedback is pre-training"): a transfer model fine-tuned on k
pairs of the held-out task, scored on that task's posts it has not seen.

``rmbench sweep --adapt 0,100,1000``: the k = 0 cell is an ordinary ``rmbench run`` (train on
the held-in tasks, hold the task out: the pure transfer number); each k > 0 cell starts from
that cell's model and fine-tunes it on k pairs of the held-out task's *training* split
(``adaptation_draw``), for ``adapt_epochs`` passes, selecting the checkpoint on the same held-in
validation pairs as the base (the held-out task's own labels are the k pairs and no more).

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
from pathlib import Path

from rmbench.atomic import write_json
from rmbench.prepared.load import load_split, sample_across
from rmbench.jsonlimits import read_json_file

ADAPTED = "adapted"
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


def drawn_posts(data_dir: Path, task: str, k: int, seed: int) -> set[str]:
    """The posts of the largest k's draw: what heldout_unseen leaves out."""
    from rmbench.eval.metrics import post_id

    return {post_id(r["pair_id"]) for r in adaptation_draw(data_dir, task, k, seed)} if k > 0 else set()


def run_adapted(base_cfg, base_dir: Path, run_dir: Path, k: int, epochs: float, console=None,
                progress: bool = True) -> dict:
    """Fine-tune ``base_dir/model`` on k held-out training pairs; returns results.json."""
    from rmbench.model.load import weights_sha256
    from rmbench.model.train import fit
    from rmbench.prepared.resolve import resolve_data
    from rmbench.run.harness import Clock, finish, kind_scorer, resolve_model, score_targets
    from rmbench.run.rundir import prepare_run_dir
    from rmbench.run.plan import plan

    done = run_dir / "results.json"
    if done.is_file():
        return read_json_file(done)
    started = time.perf_counter()
    cfg = copy.deepcopy(base_cfg)
    cfg.model.name = str(base_dir / "model")
    cfg.train.epochs = epochs
    cfg.out = str(run_dir)
    cfg.train.resume = (run_dir / "config.json").is_file()
    # The auto values (max length, input format, kind) settled as the base cell settled them,
    # so the adapted model reads its inputs as the model it starts from did.
    spec = resolve_model(cfg, training=True, console=console)
    data_dir = resolve_data(cfg.data.source, cfg.data.cache_dir, progress=progress)
    p = plan(cfg, data_dir, [cfg.data.holdout], cfg.data.train_tasks or None)
    p.heldout_splits = ("test", "test_hard")  # and heldout_unseen(_hard) under data.adapt_unseen (plan)
    prepare_run_dir(run_dir, cfg)
    clock = Clock(run_dir, started)
    model_dir, info_path = run_dir / "model", run_dir / "train_info.json"
    holdout = p.holdout[0]
    if not info_path.is_file():
        train = adaptation_draw(data_dir, holdout, k, cfg.seed)
        val = sample_across(data_dir, p.train_tasks, "validation", cfg.data.max_validation_pairs, cfg.seed)
        info = fit(cfg, train, val, run_dir, model_dir, console, progress)
        info["adapt"] = {"k": k, "pairs": len(train), "from": str(base_dir / "model"), "epochs": epochs}
        write_json(info_path, info)
        shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)
        clock.mark()
    info = read_json_file(info_path)
    scorer = kind_scorer(cfg, spec, model_dir, console)
    results, pairs_by, rewards_by = score_targets(cfg, p, run_dir, scorer, console, progress,
                                                  role_of_heldout=ADAPTED, clock=clock)
    model_info = {"id": f"{base_cfg.model.name}+{holdout}:{k}", "base_model": base_cfg.model.name,
                  "path": "model/", "parameters": info.get("parameters"), "weights_sha256": weights_sha256(model_dir),
                  "kind": "reward_model", "training": info}
    return finish(cfg, p, run_dir, model_info, results, pairs_by, rewards_by, clock, console)


def adapt_split(docs: dict[int, dict], holdout: str) -> str:
    """The split the curve's points stand on: heldout_unseen where every cell scored it (cells
    made before it existed, or a curve of k = 0 alone, scored only test)."""
    return "heldout_unseen" if all("heldout_unseen" in d["results"][holdout]["splits"] for d in docs.values()) \
        else "test"


def adapt_points(docs: dict[int, dict], holdout: str, split: str = "test", gains: dict | None = None) -> list[dict]:
    """One point per k on ``split`` and its hard counterpart: the accuracy, its interval, the
    bars beside it, test's accuracy (comparable with in-domain figures) and, from ``gains``
    (k -> {split: paired gap}), the paired gain over k = 0 on the same pairs."""
    hard_of = "heldout_unseen_hard" if split == "heldout_unseen" else "test_hard"
    points = []
    for k, doc in sorted(docs.items()):
        splits = doc["results"][holdout]["splits"]
        card, hard, test = splits[split], splits.get(hard_of) or {}, splits.get("test") or {}
        base = card["baselines"]
        gain = (gains or {}).get(k) or {}
        points.append({"k": k, "train_pairs": (doc["model"]["training"].get("adapt") or {}).get("pairs", 0),
                       "split": split, "accuracy": card["accuracy"], "ci95": card["ci95"], "n": card.get("n"),
                       "posts": card.get("posts"), "too_small": card.get("too_small"),
                       "accuracy_hard": hard.get("accuracy"), "ci95_hard": hard.get("ci95"),
                       "accuracy_test": test.get("accuracy"), "ci95_test": test.get("ci95"),
                       "gain": gain.get(split), "gain_hard": gain.get(hard_of),
                       "best_baseline": card["best_baseline"], "clears_best_baseline": card["clears_best_baseline"],
                       "longer": (base.get("longer") or {}).get("accuracy"),
                       "confounds": (base.get("confounds") or {}).get("accuracy")})
    return points
