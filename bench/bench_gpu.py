"""GPU training throughput and MFU of classifier reward models, against TRL, plus scoring throughput.

    python bench/bench_gpu.py --out gpu.json        # on a lent GPU: sized for < 8 min on an H200
    python bench/bench_gpu.py --dry-run             # CPU, seconds: tiny models, same code paths

What it measures, on randomly initialised GPT-2 small / medium / large classifiers (one-logit
reward head; shapes built in code, nothing downloaded) at up to 512 tokens per sequence:

- training pairs/s, real tokens/s, TFLOP/s and MFU of rmbench's ``PairwiseRewardTrainer``
  (benchmark/model/train.py: ``encode_pairs``, ``PairCollator``, ``training_arguments``;
  bf16 autocast, length-grouped batches, SDPA attention), and for ``--compile-sizes`` the
  same with ``torch.compile``;
- TRL's ``RewardTrainer`` on the same token ids, batch size, precision and attention, with
  gradient checkpointing off as ours (TRL's own default turns it on: a memory trade, not a
  speed one) and its own random batch order;
- scoring: rmbench's ``RewardScorer`` (each unique input once, length-sorted batches) against
  one forward pass per pair, in fp32 as the repo scores.

FLOPs and MFU (PaLM-style, appendix B of Chowdhery et al. 2022):

    FLOPs(sequence of T real tokens) = T * (6 * N + 12 * L * d * T)
    MFU = sum over both sides of every measured pair / measured seconds / dense bf16 peak

N: non-embedding parameters (blocks, final layer norm, the reward head; not wte/wpe);
L: layers; d: hidden size. Padding counts as zero work, so padding a batch lowers MFU.
The peak comes from a small table of dense (no sparsity) bf16 figures keyed on the device
name (H200 and H100 SXM: 989 TFLOP/s) or ``--peak-tflops``. Timing covers only the steps
after ``--warmup-steps`` (CUDA context, kernel autotuning and compilation fall in the warmup,
reported apart), between ``torch.cuda.synchronize()`` calls.

Data: synthetic pairs whose words map one-to-one to token ids (GPT-2's BPE files are not
reachable offline), posts of 32-256 tokens, responses log-normal around 40% of the budget,
each post in several pairs; the repo's encoder truncates each side to 512 tokens post first.

Goal (issue 23): MFU >= 35% at gpt2-medium on an H200. Prints the JSON object on stdout and
a small table on stderr; ``--out FILE`` also writes the JSON atomically, after every run
with ``"complete": false`` (so a device taken back mid-run still leaves what was measured) and
at the end with ``"complete": true``. ``--dry-run`` results
are labelled as such and are no measurement of anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import sys
import tempfile
import time

import torch

from gpu_parts import (FLOPS_FORMULA, GOAL, SIZES, finish, gpt2_config, non_embedding_params, peak_tflops,
                       sequence_flops, synthetic_pairs, table, word_tokenizer)

CUDA = torch.cuda.is_available()


def sync():
    if CUDA:
        torch.cuda.synchronize()


class Counting:
    """Wraps a collator: the real-token lengths of each batch, in the order the trainer draws them."""

    def __init__(self, inner):
        self.inner, self.batches = inner, []

    def __call__(self, rows):
        batch = self.inner(rows)
        mask = batch["attention_mask"]
        self.batches.append((mask.sum(1).tolist(), mask.numel()))
        return batch


def step_timer(warmup: int):
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        """Synchronised clock: start of training, start of the first measured step, end of the last."""

        start = t0 = t1 = None

        def on_train_begin(self, args, state, control, **kw):
            sync()
            self.start = time.perf_counter()

        def on_step_begin(self, args, state, control, **kw):
            if state.global_step == warmup:
                sync()
                self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            if state.global_step == state.max_steps:
                sync()
                self.t1 = time.perf_counter()

    return StepTimer()


def new_model(size: str, args):
    from transformers import AutoModelForSequenceClassification, set_seed

    set_seed(args.seed)  # the same initial weights for every trainer at one size
    cfg = gpt2_config(size, args.dry_run, args.max_length)
    with torch.device("cuda" if CUDA else "cpu"):  # initialising 774M parameters on a CPU takes long
        return AutoModelForSequenceClassification.from_config(cfg, attn_implementation=args.attn)


def figures(model, counting, timer, args, peak) -> dict:
    """Throughput and MFU over the measured steps only."""
    cfg = model.config
    measured = counting.batches[args.warmup_steps: args.warmup_steps + args.steps]
    lengths = [t for lens, _ in measured for t in lens]
    padded = sum(n for _, n in measured)
    seconds = timer.t1 - timer.t0
    n_params = non_embedding_params(model)
    flops = sequence_flops(lengths, n_params, cfg.n_layer, cfg.n_embd)
    return {"non_embedding_params": n_params, "measured_steps": len(measured), "measured_seconds": round(seconds, 4),
            "warmup_seconds": round(timer.t0 - timer.start, 3), "pairs_per_s": round(len(lengths) / 2 / seconds, 3),
            "tokens_per_s": round(sum(lengths) / seconds, 1), "mean_tokens": round(sum(lengths) / len(lengths), 1),
            "padding_share": round(1 - sum(lengths) / padded, 4), "tflops": _sig(flops / seconds / 1e12),
            "mfu": _sig(flops / seconds / (peak * 1e12)) if peak else None,
            "peak_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2) if CUDA else None}


def _sig(x: float) -> float:
    """Four significant figures: a dry run's tiny model on a busy CPU does well under 0.0001
    TFLOP/s, which fixed decimals would print as 0."""
    return float(f"{x:.4g}")


def run_ours(size, rows, pad_id, args, compiled, workdir, peak):
    from rmbench.model.config import ModelConfig, TrainConfig
    from rmbench.model.train import PairCollator, PairwiseRewardTrainer, training_arguments
    from transformers.trainer_callback import PrinterCallback

    model = new_model(size, args)
    # eval_every 10: no validation or checkpoint inside the measured window (as bench_train.py)
    targs = training_arguments(workdir, TrainConfig(batch_size=args.batch_size, eval_every=10.0),
                               ModelConfig(mixed_precision=args.precision), len(rows), args.seed, has_validation=False)
    targs = dataclasses.replace(targs, save_strategy="no", max_steps=args.warmup_steps + args.steps,
                                torch_compile=compiled, torch_compile_backend=args.compile_backend if compiled else None)
    # Compiled: pad to multiples of 64 so a few shapes cover 1-512 tokens (fewer recompilations);
    # eager: 8, what fit() uses on a GPU (tensor-core friendly, little waste).
    counting = Counting(PairCollator(pad_id, False, 64 if compiled else 8))
    timer = step_timer(args.warmup_steps)
    from datasets import Dataset

    trainer = PairwiseRewardTrainer(model=model, args=targs, train_dataset=Dataset.from_list(rows),
                                    data_collator=counting, callbacks=[timer])
    trainer.remove_callback(PrinterCallback)  # its log lines would land in the JSON on stdout
    trainer.train()
    return {**figures(model, counting, timer, args, peak), "precision": args.precision,
            "sampling": targs.train_sampling_strategy}


def run_trl(size, rows, tok, args, workdir, peak):
    from datasets import Dataset
    from transformers.trainer_callback import PrinterCallback
    from trl import RewardConfig, RewardTrainer

    model = new_model(size, args)
    data = Dataset.from_list([{"chosen_ids": r["chosen_input_ids"], "rejected_ids": r["rejected_input_ids"]}
                              for r in rows])
    off = {k: False for k in ("gradient_checkpointing", "activation_checkpointing")
           if k in {f.name for f in dataclasses.fields(RewardConfig)}}
    cfg = RewardConfig(output_dir=workdir, max_steps=args.warmup_steps + args.steps,
                       per_device_train_batch_size=args.batch_size, max_length=args.max_length,
                       bf16=args.precision == "bf16", save_strategy="no", eval_strategy="no", report_to="none",
                       use_cpu=not CUDA, seed=args.seed, logging_steps=10**6, disable_tqdm=True, **off)
    timer = step_timer(args.warmup_steps)
    trainer = RewardTrainer(model=model, args=cfg, train_dataset=data, processing_class=tok, callbacks=[timer])
    trainer.remove_callback(PrinterCallback)
    counting = trainer.data_collator = Counting(trainer.data_collator)
    trainer.train()
    return {**figures(model, counting, timer, args, peak), "precision": args.precision,
            "sampling": str(cfg.train_sampling_strategy), "kept_pairs": len(trainer.train_dataset),
            "given_pairs": len(rows), "gradient_checkpointing": False}


def run_scoring(size, tok, args) -> dict:
    from rmbench.model.inputs import pad_batch
    from rmbench.model.scoring import RewardScorer

    # 8 responses a post, 5 pairs: ~1.5 pair sides per unique input, as on the demo's held-out
    # task (12,172 sides, 7,866 unique inputs), so de-duplication gains no more than it does there.
    pairs = synthetic_pairs(max(1, args.score_pairs // 5), 8, 5, args.max_length, tok.vocab_size, args.seed + 1)
    model = new_model(size, args)  # fp32 weights: the repo scores in fp32 (batch-size invariant)
    scorer = RewardScorer(model, tok, max_length=args.max_length, batch_size=args.score_batch_size,
                          input_format="pair")
    prompts, chosen, rejected = ([p[k] for p in pairs] for k in ("prompt", "chosen", "rejected"))
    scorer.score_pairs(prompts[:4], chosen[:4], rejected[:4])  # warm-up, so neither side pays for it
    sync()
    t0 = time.perf_counter()
    scorer.score_pairs(prompts, chosen, rejected)
    sync()
    fast = time.perf_counter() - t0
    enc, pad_id = scorer.encoder, tok.pad_token_id
    t0 = time.perf_counter()
    with torch.inference_mode():
        for p in pairs:  # naive: both sides of one pair per forward pass, nothing shared
            batch = pad_batch([enc.encode(p["prompt"], p["chosen"]), enc.encode(p["prompt"], p["rejected"])],
                              pad_id, False)
            model(**{k: v.to(scorer.device) for k, v in batch.items()}).logits.float().tolist()
    naive = time.perf_counter() - t0
    return {"size": size, "pairs": len(pairs), "unique_inputs": scorer.unique_scored, "pair_sides": 2 * len(pairs),
            "batch_size": args.score_batch_size, "dtype": "float32", "ours_pairs_per_s": round(len(pairs) / fast, 2),
            "naive_pairs_per_s": round(len(pairs) / naive, 2), "speedup": round(naive / fast, 3)}


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true", help="CPU, tiny models, few steps: checks the code paths")
    ap.add_argument("--sizes", default=",".join(SIZES), help="comma-separated, from " + ", ".join(SIZES))
    ap.add_argument("--compile-sizes", default=None, help="sizes also measured with torch.compile (rmbench "
                    "trainer); default gpt2-medium ('' for none)")
    ap.add_argument("--compile-backend", default=None, help="torch.compile backend (default inductor; dry run: eager)")
    ap.add_argument("--max-length", type=int, default=None, help="tokens per sequence (default 512; dry run 64)")
    ap.add_argument("--batch-size", type=int, default=None, help="pairs per step (default 32; dry run 4)")
    ap.add_argument("--steps", type=int, default=None, help="measured steps per run (default 30; dry run 2)")
    ap.add_argument("--warmup-steps", type=int, default=None, help="unmeasured first steps (default 5; dry run 1)")
    ap.add_argument("--score-pairs", type=int, default=None, help="pairs scored (default 1000; dry run 20)")
    ap.add_argument("--score-batch-size", type=int, default=64)
    ap.add_argument("--precision", default=None, help="bf16 | fp16 | no (default bf16; dry run no)")
    ap.add_argument("--attn", default="sdpa", help="attention implementation: sdpa | flash_attention_2 | eager")
    ap.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak of this device, TFLOP/s")
    ap.add_argument("--no-trl", action="store_true", help="skip TRL's RewardTrainer")
    ap.add_argument("--budget-s", type=float, default=420.0, help="start no new run after this many seconds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="also write the JSON object here (atomically)")
    args = ap.parse_args(argv)
    dry = args.dry_run
    for name, gpu, cpu in (("compile_sizes", "gpt2-medium", "gpt2-medium"), ("compile_backend", "inductor", "eager"),
                           ("max_length", 512, 64), ("batch_size", 32, 4), ("steps", 30, 2),
                           ("warmup_steps", 5, 1), ("score_pairs", 1000, 20), ("precision", "bf16", "no")):
        if getattr(args, name) is None:
            setattr(args, name, cpu if dry else gpu)
    args.sizes = [s for s in args.sizes.split(",") if s]
    args.compile_sizes = [s for s in args.compile_sizes.split(",") if s]
    unknown = sorted(set(args.sizes + args.compile_sizes) - set(SIZES))
    if unknown:
        ap.error(f"unknown sizes {unknown}; choose from {', '.join(SIZES)}")
    return args


def main(argv=None) -> dict:
    args = parse(argv)
    import transformers
    from datasets import disable_progress_bars
    from transformers.utils import logging as hf_logging

    from rmbench.atomic import write_json
    from rmbench.model.chat import make_encoder
    from rmbench.model.train import encode_pairs

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    disable_progress_bars()  # TRL's length filter would draw a bar per run
    wall0 = time.perf_counter()
    device = torch.cuda.get_device_name() if CUDA else "cpu"
    if not CUDA and not args.dry_run:
        print("bench_gpu: no CUDA device; use --dry-run on a CPU", file=sys.stderr)
        raise SystemExit(1)
    peak, peak_source = peak_tflops(device, args.peak_tflops, args.dry_run)
    try:
        import trl
        trl_version = trl.__version__
    except ImportError:
        trl_version = None
    report = {"script": "bench/bench_gpu.py", "dry_run": args.dry_run, "device": device, "peak_tflops": peak,
              "peak_source": peak_source, "flops_formula": FLOPS_FORMULA,
              "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl_version,
                           "cuda": torch.version.cuda},
              "settings": {k: getattr(args, k) for k in ("max_length", "batch_size", "steps", "warmup_steps",
                                                        "precision", "attn", "compile_backend", "seed")},
              "train": [], "skipped": []}
    tok = word_tokenizer(gpt2_config("gpt2-small", args.dry_run, args.max_length).vocab_size)
    n_pairs = (args.warmup_steps + args.steps) * args.batch_size  # exactly one epoch of max_steps
    pairs = synthetic_pairs(n_pairs // 5 + 1, 5, 5, args.max_length, tok.vocab_size, args.seed)[:n_pairs]
    rows, cut = encode_pairs(pairs, make_encoder(tok, "pair", args.max_length))  # the repo's own encoding
    report["train_data"] = {"pairs": len(rows), "truncated": cut}
    # Most informative first, so a run cut short by --budget-s still answers the goal.
    plan = [(s, t, c) for s in sorted(args.sizes, key=lambda s: s != GOAL["size"])
            for t, c in (("rmbench", False), ("trl", False), ("rmbench", True))
            if (t != "trl" or not args.no_trl) and (not c or s in args.compile_sizes)]
    plan.insert(min(3, len(plan)), ("scoring", None, False))
    with tempfile.TemporaryDirectory() as tmp:
        for i, (size, trainer, compiled) in enumerate(plan):
            if time.perf_counter() - wall0 > args.budget_s:
                report["skipped"].append({"size": size, "trainer": trainer, "compile": compiled, "why": "--budget-s"})
                continue
            if CUDA:
                torch.cuda.reset_peak_memory_stats()
            print(f"bench_gpu: {size} {trainer or ''} {'compiled' if compiled else ''}".rstrip(), file=sys.stderr)
            try:
                if trainer is None:
                    report["scoring"] = run_scoring(GOAL["size"] if GOAL["size"] in args.sizes else args.sizes[0],
                                                    tok, args)
                    continue
                work = os.path.join(tmp, str(i))
                res = (run_ours(size, rows, tok.pad_token_id, args, compiled, work, peak) if trainer == "rmbench"
                       else run_trl(size, rows, tok, args, work, peak))
                report["train"].append({"size": size, "trainer": trainer, "compile": compiled, **res})
            except Exception as e:  # one failed run (say, TRL out of memory) must not lose the others
                entry = {"size": size, "trainer": trainer, "compile": compiled, "error": f"{type(e).__name__}: {e}"}
                if trainer is None:
                    report["scoring"] = entry
                else:
                    report["train"].append(entry)
            finally:
                gc.collect()
                if CUDA:
                    torch.cuda.empty_cache()
            if args.out:  # a device lent by the minute may stop this script: keep what was measured
                write_json(args.out, finish(report, wall0, complete=False))
    finish(report, wall0, complete=True)
    print(table(report), file=sys.stderr)
    print(json.dumps(report, indent=2))
    if args.out:
        write_json(args.out, report)
    return report


if __name__ == "__main__":
    main()
