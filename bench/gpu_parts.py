"""Pieces of bench/bench_gpu.py: sizes, peaks, the FLOP count, synthetic pairs, a tokenizer and the
report's summary (ratios, the goal, the table).

Kept apart from the runs so that each file stays short; nothing here touches a device.
"""

from __future__ import annotations

import math
import random
import time

# GPT-2's published shapes (n_embd, n_layer, n_head); randomly initialised, never downloaded
# (the hub is unreachable on a lent device, and throughput does not depend on the weights).
SIZES = {"gpt2-small": (768, 12, 12), "gpt2-medium": (1024, 24, 16), "gpt2-large": (1280, 36, 20)}
# --dry-run: the same three names, tiny, so a CPU runs every code path in seconds.
DRY_SIZES = {"gpt2-small": (32, 2, 2), "gpt2-medium": (48, 2, 2), "gpt2-large": (64, 3, 2)}
GPT2_VOCAB = 50257
DRY_VOCAB = 512

# Dense (no 2:4 sparsity) bf16 tensor-core peaks from the vendors' data sheets, in TFLOP/s.
# First match on the device name wins, so the PCIe H100 comes before the generic H100 (SXM).
PEAK_BF16_TFLOPS = [
    ("H200", 989.0), ("H100 PCIe", 756.0), ("H100", 989.0), ("GH200", 989.0), ("B200", 2250.0),
    ("A100", 312.0), ("L40S", 362.0), ("A10G", 70.0), ("L4", 121.0), ("A10", 125.0),
]
# --dry-run has no real peak: MFU is reported against this round, stated, nominal figure.
DRY_NOMINAL_TFLOPS = 1.0

GOAL = {"size": "gpt2-medium", "device": "H200", "mfu": 0.35}

FLOPS_FORMULA = ("training FLOPs of one sequence of T real tokens = T * (6 * N + 12 * L * d * T), "
                 "N = non-embedding parameters (transformer blocks, final layer norm, reward head; "
                 "not wte/wpe), L = layers, d = hidden size (PaLM appendix B: 6N for the matmuls "
                 "forward + backward, 12*L*d*T for attention scores and values, causal mask not "
                 "discounted); summed over both sides of every pair; padding tokens count as zero; "
                 "MFU = those FLOPs / measured seconds / the GPU's dense bf16 peak")


def peak_tflops(device_name: str, override: float | None, dry_run: bool) -> tuple[float | None, str]:
    """(peak TFLOP/s, where it came from)."""
    if override:
        return float(override), "--peak-tflops"
    if dry_run:
        return DRY_NOMINAL_TFLOPS, f"dry-run nominal {DRY_NOMINAL_TFLOPS:g} TFLOP/s (not a real peak)"
    for key, value in PEAK_BF16_TFLOPS:
        if key.lower() in device_name.lower():
            return value, f"table: {key} dense bf16"
    return None, f"unknown device {device_name!r}: pass --peak-tflops for MFU"


def gpt2_config(size: str, dry_run: bool, max_length: int):
    from transformers import GPT2Config

    d, n_layer, n_head = (DRY_SIZES if dry_run else SIZES)[size]
    vocab = DRY_VOCAB if dry_run else GPT2_VOCAB
    return GPT2Config(vocab_size=vocab, n_positions=max(1024, max_length), n_embd=d, n_layer=n_layer,
                      n_head=n_head, num_labels=1, pad_token_id=vocab - 1, eos_token_id=vocab - 1,
                      bos_token_id=vocab - 1)


def non_embedding_params(model) -> int:
    return sum(p.numel() for name, p in model.named_parameters() if not name.endswith(("wte.weight", "wpe.weight")))


def sequence_flops(lengths, n_params: int, n_layer: int, d_model: int) -> float:
    """Training FLOPs of sequences with these real-token lengths (FLOPS_FORMULA)."""
    return float(sum(t * (6 * n_params + 12 * n_layer * d_model * t) for t in lengths))


def word_tokenizer(vocab_size: int):
    """A tokenizer whose word ``t{i}`` is token ``i`` (the last id is EOS and pad, as GPT-2's is).

    GPT-2's BPE files are not reachable offline; this one lets the repo's encoder, scorer and
    TRL run their text paths on exactly the token ids the synthetic pairs were drawn as."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {f"t{i}": i for i in range(vocab_size - 1)}
    vocab["<|endoftext|>"] = vocab_size - 1
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<|endoftext|>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<|endoftext|>", pad_token="<|endoftext|>")


def _text(rng: random.Random, n: int, vocab_size: int) -> str:
    return " ".join(f"t{rng.randrange(vocab_size - 1)}" for _ in range(n))


def _response_len(rng: random.Random, max_length: int) -> int:
    # Log-normal around 40% of the budget: a spread like Reddit answers, where some are cut
    # at the budget and most are not, so length grouping has padding to save.
    return max(8, min(3 * max_length, int(math.exp(rng.gauss(math.log(0.4 * max_length), 0.7)))))


def synthetic_pairs(n_posts: int, responses_per_post: int, pairs_per_post: int, max_length: int,
                    vocab_size: int, seed: int) -> list[dict]:
    """Text pairs of ``t{i}`` words: posts with several responses, each post in several pairs
    (responses repeat across pairs, as in prepared Reddit data: a scorer that dedupes gains)."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n_posts):
        prompt = _text(rng, rng.randint(max_length // 16, max_length // 2), vocab_size)
        answers = [_text(rng, _response_len(rng, max_length), vocab_size) for _ in range(responses_per_post)]
        combos = [(a, b) for a in range(len(answers)) for b in range(a + 1, len(answers))]
        for a, b in rng.sample(combos, min(pairs_per_post, len(combos))):
            pairs.append({"prompt": prompt, "chosen": answers[a], "rejected": answers[b]})
    return pairs


def ratios(train: list[dict]) -> dict:
    """Per size: rmbench (eager) pairs/s over TRL's, and compiled over eager (does compile pay?)."""
    pps = {(r["size"], r["trainer"], r["compile"]): r["pairs_per_s"] for r in train if "pairs_per_s" in r}
    out = {}
    for size in dict.fromkeys(r["size"] for r in train):
        eager = pps.get((size, "rmbench", False))
        both = {"rmbench_over_trl": (size, "trl", False), "compiled_over_eager": (size, "rmbench", True)}
        out[size] = {k: round(eager / pps[key], 3) if k == "rmbench_over_trl" else round(pps[key] / eager, 3)
                     for k, key in both.items() if eager and pps.get(key)}
    return out


def goal(report) -> dict:
    best = max((r["mfu"] for r in report["train"] if r["size"] == GOAL["size"] and r["trainer"] == "rmbench"
                and r.get("mfu") is not None), default=None)
    shown = f"{100 * best:.1f}%" if best is not None else "not measured"
    text = f"MFU >= {100 * GOAL['mfu']:.0f}% at {GOAL['size']} on an {GOAL['device']}: "
    if report["dry_run"]:
        met, text = None, text + f"not judged (dry run; {shown} of a nominal peak means nothing)"
    elif GOAL["device"].lower() not in report["device"].lower() or best is None:
        met, text = None, text + f"not judged on {report['device']} (best rmbench MFU {shown})"
    else:
        met = best >= GOAL["mfu"]
        text += ("met" if met else "not met") + f" (best rmbench MFU {shown})"
    return {**GOAL, "best_mfu": best, "met": met, "text": text}


def finish(report: dict, wall0: float, complete: bool) -> dict:
    """The runs in a fixed order, the ratios and the goal, from what has been measured so far;
    ``complete`` False marks a snapshot written while runs remain."""
    order = list(SIZES)
    report["train"].sort(key=lambda r: (order.index(r["size"]), r["trainer"] != "rmbench", r["compile"]))
    report["ratios"] = ratios(report["train"])
    report["goal"] = goal(report)
    report["wall_seconds"] = round(time.perf_counter() - wall0, 1)
    report["complete"] = complete
    return report


def table(report: dict) -> str:
    """The small human table (stderr); the JSON object is the record."""
    lines = [f"bench_gpu {'DRY RUN (CPU, tiny models; not a result) ' if report['dry_run'] else ''}"
             f"on {report['device']}, peak {report['peak_tflops']} TFLOP/s ({report['peak_source']})",
             f"{'size':<12} {'trainer':<8} {'compile':<7} {'pairs/s':>9} {'tokens/s':>10} {'TFLOP/s':>8} {'MFU':>7}"]
    for r in report["train"]:
        if "error" in r:
            lines.append(f"{r['size']:<12} {r['trainer']:<8} {str(r['compile']):<7} failed: {r['error'][:60]}")
            continue
        mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a"
        lines.append(f"{r['size']:<12} {r['trainer']:<8} {str(r['compile']):<7} {r['pairs_per_s']:>9.1f} "
                     f"{r['tokens_per_s']:>10.0f} {r['tflops']:>8.2f} {mfu:>7}")
    for size, r in report.get("ratios", {}).items():
        bits = [f"{k.replace('_', ' ')} {v:.2f}x" for k, v in r.items()]
        if bits:
            lines.append(f"{size}: pairs/s " + ", ".join(bits))
    s = report.get("scoring")
    if s and "error" not in s:
        lines.append(f"scoring {s['size']}: RewardScorer {s['ours_pairs_per_s']:.1f} pairs/s, naive per-pair "
                     f"{s['naive_pairs_per_s']:.1f} pairs/s, {s['speedup']:.2f}x")
    lines.append(f"goal: {report['goal']['text']}")
    return "\n".join(lines)
