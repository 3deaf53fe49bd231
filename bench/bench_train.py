"""Training throughput against TRL's RewardTrainer, and evaluation against naive per-pair scoring.

Same model (minilm), same pairs, same token ids (our post-first truncation to --max-length
for both, so TRL's length filter drops nothing), same batch size, learning rate and seed;
run one after the other in this process. Then held-out accuracy of each trained model on
the same held-out test split. Finally (b): our scorer (unique responses once,
length-sorted batches) against scoring pair by pair.

    python bench/bench_train.py --data ../shared/data/reddit-dumps --holdout emory --pairs 512

Prints one JSON object; BENCHMARKS.md quotes it. CPU numbers move a lot when other
processes share the cores: the script records the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import torch


def load_pairs(data, holdout, n_train, n_test, seed):
    from rmbench.prepared.load import load_split, sample_across
    from rmbench.prepared.manifest import Prepared
    from rmbench.prepared.resolve import resolve_data

    data_dir = resolve_data(data, "", progress=False)
    tasks = [t for t in Prepared.open(data_dir).tasks if t != holdout]
    train = sample_across(data_dir, tasks, "train", n_train, seed)
    test = load_split(data_dir, holdout, "test", n_test, seed)
    return train, test, tasks


def ours(train, args, workdir):
    from rmbench.run.config import RunConfig
    from rmbench.model.train import fit

    cfg = RunConfig()
    cfg.model.max_length = args.max_length
    cfg.train.epochs, cfg.train.learning_rate, cfg.train.batch_size = 1.0, args.learning_rate, args.batch_size
    cfg.train.eval_every = 10.0  # no mid-run validation: pure training throughput
    cfg.seed = args.seed
    info = fit(cfg, train, [], workdir, os.path.join(workdir, "model"), progress=False)
    return os.path.join(workdir, "model"), info


def trl(train, args, workdir):
    from datasets import Dataset
    from transformers import set_seed
    from trl import RewardConfig, RewardTrainer

    from rmbench.model.inputs import PairEncoder
    from rmbench.model.load import load_reward_model

    set_seed(args.seed)
    model, tok = load_reward_model("minilm")
    enc = PairEncoder(tok, args.max_length)
    rows = [{"chosen_ids": enc.encode(p["prompt"], p["chosen"]).input_ids,
             "rejected_ids": enc.encode(p["prompt"], p["rejected"]).input_ids} for p in train]
    cfg = RewardConfig(output_dir=workdir, num_train_epochs=1, learning_rate=args.learning_rate,
                       per_device_train_batch_size=args.batch_size, max_length=args.max_length,
                       save_strategy="no", eval_strategy="no", report_to="none", use_cpu=True, seed=args.seed,
                       logging_steps=1000, disable_tqdm=True, warmup_steps=max(0, round(0.1 * len(rows) / args.batch_size)))
    trainer = RewardTrainer(model=model, args=cfg, train_dataset=Dataset.from_list(rows), processing_class=tok)
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    tokens = sum(len(r["chosen_ids"]) + len(r["rejected_ids"]) for r in rows)
    out = os.path.join(workdir, "model")
    trainer.model.save_pretrained(out)
    tok.save_pretrained(out)
    return out, {"train_pairs": len(rows), "train_seconds": round(seconds, 2),
                 "pairs_per_s": round(len(rows) / seconds, 3), "tokens_per_s": round(tokens / seconds, 1)}


def accuracy(model_dir, test, args, token_types=True):
    from rmbench.eval.metrics import accuracy_with_ci, pair_outcomes
    from rmbench.model.scoring import RewardScorer

    scorer = RewardScorer(model_dir, max_length=args.max_length, batch_size=64)
    if not token_types:  # TRL trains without token_type_ids: score it the way it was trained
        scorer.encoder.has_token_types = False
    rc, rr = scorer.score_pairs([p["prompt"] for p in test], [p["chosen"] for p in test], [p["rejected"] for p in test])
    return accuracy_with_ci(pair_outcomes(rc, rr), 1000, args.seed)


def _naive(scorer, enc, pairs) -> float:
    """Seconds to score ``pairs`` one forward pass per pair (both sides, batch of 2)."""
    from rmbench.model.inputs import pad_batch

    t0 = time.perf_counter()
    with torch.inference_mode():
        for p in pairs:
            batch = pad_batch([enc.encode(p["prompt"], p["chosen"]), enc.encode(p["prompt"], p["rejected"])],
                              scorer.tokenizer.pad_token_id, enc.has_token_types)
            scorer.model(**{k: v.to(scorer.device) for k, v in batch.items()})
    return time.perf_counter() - t0


def harness_workload(data, holdout, posts, seed):
    """What ``rmbench run`` scores for a held-out task, cut to whole posts: for ``posts``
    posts drawn at random, every pair of theirs in each of the four held-out splits."""
    import random

    from rmbench.prepared.load import load_split
    from rmbench.prepared.resolve import resolve_data

    data_dir = resolve_data(data, "", progress=False)
    splits = {s: load_split(data_dir, holdout, s) for s in ("heldout_all", "heldout_all_hard", "test", "test_hard")}
    every = sorted({r["prompt"] for r in splits["heldout_all"]})
    keep = set(random.Random(seed).sample(every, min(posts, len(every))))
    return {s: [r for r in rows if r["prompt"] in keep] for s, rows in splits.items()}


def eval_speed(model_dir, test, args, workload=None):
    """(b) pairs/s of RewardScorer against one forward pass per pair (both sides, batch of 2).

    ``sampled``: ``test`` (pairs drawn at random from the test split, one call). ``harness``
    (with ``workload``): the splits a run scores for its held-out task, whole posts, in the
    run's order through one scorer that remembers rewards across splits (``scorer.memo``,
    as rmbench.run.evaluation does), against the naive loop over every split's pairs."""
    from rmbench.model.inputs import PairEncoder
    from rmbench.model.scoring import RewardScorer

    if model_dir == "minilm":  # no trained head to load: a seeded fresh one (speed does not depend on it)
        from rmbench.model.load import load_reward_model

        torch.manual_seed(args.seed)
        model, tok = load_reward_model("minilm", for_training=True)
        make = lambda: RewardScorer(model, tok, max_length=args.max_length, batch_size=args.eval_batch_size)  # noqa: E731
    else:
        make = lambda: RewardScorer(model_dir, max_length=args.max_length, batch_size=args.eval_batch_size)  # noqa: E731
    def score(scorer, rows):
        return scorer.score_pairs([p["prompt"] for p in rows], [p["chosen"] for p in rows], [p["rejected"] for p in rows])

    scorer = make()
    score(scorer, test[:8])  # warm-up: first-call allocations and lazy imports are not the method's cost
    enc = PairEncoder(scorer.tokenizer, args.max_length)
    out = {"eval_batch_size": scorer.batch_size, "threads": torch.get_num_threads()}  # as resolved: 0 = the device default
    loads = {"sampled": {"test": test}, **({"harness": workload} if workload else {})}
    for name, splits in loads.items():
        pairs = sum(len(rows) for rows in splits.values())
        fast, naive = [], []
        for _ in range(args.eval_rounds):  # alternate ours / naive; keep each one's best
            scorer.memo = {}  # a fresh memory each round, shared by the splits as in a run
            t0 = time.perf_counter()
            for rows in splits.values():
                score(scorer, rows)
            fast.append(time.perf_counter() - t0)
            naive.append(sum(_naive(scorer, enc, rows) for rows in splits.values()))
        fast, naive = min(fast), min(naive)
        out[name] = {"splits": {s: len(r) for s, r in splits.items()}, "pairs": pairs, "pair_sides": 2 * pairs,
                     "unique_inputs": len(scorer.memo), "ours_pairs_per_s": round(pairs / fast, 2),
                     "naive_pairs_per_s": round(pairs / naive, 2), "speedup": round(naive / fast, 2)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "reddit-dumps"))
    ap.add_argument("--holdout", default="emory")
    ap.add_argument("--pairs", type=int, default=512)
    ap.add_argument("--test-pairs", type=int, default=300)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--learning-rate", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=2, help="alternations of the two trainers")
    ap.add_argument("--skip", choices=["train", "eval"], default=None)
    ap.add_argument("--eval-batch-size", type=int, default=None, help="the scorer's batch [default: rmbench run's, eval.batch_size; 0 = the device default]")
    ap.add_argument("--eval-posts", type=int, default=150, help="posts of the held-out task in (b)'s harness workload")
    ap.add_argument("--eval-rounds", type=int, default=2, help="alternations of ours and naive in (b); best of each")
    args = ap.parse_args()
    if args.eval_batch_size is None:
        from rmbench.eval.config import EvalConfig

        args.eval_batch_size = EvalConfig().batch_size
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    train, test, tasks = load_pairs(args.data, args.holdout, args.pairs, args.test_pairs, args.seed)
    report = {"data": os.path.abspath(args.data), "train_tasks": tasks, "holdout": args.holdout,
              "max_length": args.max_length, "batch_size": args.batch_size, "threads": torch.get_num_threads(),
              "loadavg_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        if args.skip != "train":
            # Alternate the two trainers (A B A B ...) so that a change in the neighbours' load
            # hits both alike; report medians of wall and CPU time.
            runs = {"rmbench": [], "trl": []}
            for r in range(args.rounds):
                for name, fn in (("rmbench", ours), ("trl", trl)):
                    wall0, cpu0 = time.perf_counter(), time.process_time()
                    model_dir, info = fn(train, args, os.path.join(tmp, f"{name}{r}"))
                    info = {**info, "wall_total_s": round(time.perf_counter() - wall0, 2),
                            "cpu_total_s": round(time.process_time() - cpu0, 2), "model_dir": model_dir,
                            "loadavg": os.getloadavg()[0]}
                    runs[name].append(info)
            for name in runs:
                last = runs[name][-1]
                med = lambda k: statistics.median(x[k] for x in runs[name])  # noqa: E731
                report[name] = {"train_pairs": last["train_pairs"], "rounds": args.rounds,
                                "train_seconds_median": med("train_seconds"),
                                "pairs_per_s_median": round(last["train_pairs"] / med("train_seconds"), 3),
                                "tokens_per_s_median": med("tokens_per_s"),
                                "cpu_s_median": med("cpu_total_s"),
                                "per_round": [{k: x[k] for k in ("train_seconds", "pairs_per_s", "cpu_total_s", "loadavg")}
                                              for x in runs[name]],
                                "heldout_test": accuracy(last["model_dir"], test, args, token_types=name == "rmbench")}
            report["throughput_ratio_wall"] = round(report["rmbench"]["pairs_per_s_median"]
                                                    / report["trl"]["pairs_per_s_median"], 3)
            report["throughput_ratio_cpu"] = round(report["trl"]["cpu_s_median"] / report["rmbench"]["cpu_s_median"], 3)
        if args.skip != "eval":
            workload = harness_workload(args.data, args.holdout, args.eval_posts, args.seed)
            report["eval"] = eval_speed(runs["rmbench"][-1]["model_dir"] if args.skip != "train" else "minilm",
                                        test, args, workload)
    report["loadavg_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
