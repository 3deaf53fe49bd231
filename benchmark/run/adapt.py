"""Few-shot adaptation ("internet feedback is pre-training"): a transfer model fine-tuned on k
pairs of the held-out task, scored on that task's test split.

``rmbench sweep --adapt 0,100,1000``: the k = 0 cell is an ordinary ``rmbench run`` (train on
the held-in tasks, hold the task out: the pure transfer number); each k > 0 cell starts from
that cell's model and fine-tunes it on k pairs drawn (seeded) from the held-out task's
*training* split, for ``adapt_epochs`` passes, selecting the checkpoint on the same held-in
validation pairs as the base (the held-out task's own labels are the k pairs and no more).
An adapted model has seen some of the held-out task's posts, so it is scored on ``test``
and ``test_hard`` only (role ``adapted``), never on ``heldout_all``.

Each cell is a run directory with the usual outputs; a finished one is never recomputed.
"""

from __future__ import annotations

import copy
import shutil
import time
from pathlib import Path

from rmbench.atomic import write_json
from rmbench.prepared.load import load_split, sample_across
from rmbench.jsonlimits import read_json_file

ADAPTED = "adapted"


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
    p.heldout_splits = ("test", "test_hard")
    prepare_run_dir(run_dir, cfg)
    clock = Clock(run_dir, started)
    model_dir, info_path = run_dir / "model", run_dir / "train_info.json"
    holdout = p.holdout[0]
    if not info_path.is_file():
        train = load_split(data_dir, holdout, "train", k, cfg.seed)
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


def adapt_points(docs: dict[int, dict], holdout: str) -> list[dict]:
    """One point per k: the held-out test accuracy, its interval and the bars beside it."""
    points = []
    for k, doc in sorted(docs.items()):
        card = doc["results"][holdout]["splits"]["test"]
        hard = doc["results"][holdout]["splits"].get("test_hard") or {}
        base = card["baselines"]
        points.append({"k": k, "train_pairs": (doc["model"]["training"].get("adapt") or {}).get("pairs", 0),
                       "accuracy": card["accuracy"], "ci95": card["ci95"], "n": card.get("n"),
                       "posts": card.get("posts"), "too_small": card.get("too_small"),
                       "accuracy_hard": hard.get("accuracy"), "ci95_hard": hard.get("ci95"),
                       "best_baseline": card["best_baseline"], "clears_best_baseline": card["clears_best_baseline"],
                       "longer": (base.get("longer") or {}).get("accuracy"),
                       "confounds": (base.get("confounds") or {}).get("accuracy")})
    return points
