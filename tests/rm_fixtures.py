"""Test helpers for the harness tests: tiny random reward models and prepared data on disk.

The prepared data follows docs/formats.md exactly (manifest.json + <task>/<split>.jsonl),
written directly so these tests do not depend on the dump pipeline. A planted signal
(chosen responses use "good" words, rejected ones "bad" words) lets a tiny model learn.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

SPLITS = ("train", "validation", "test", "test_hard")
GOOD = "clear kind vivid careful honest precise thoughtful warm".split()
BAD = "lazy rude vague sloppy dull wrong careless cold".split()
FILLER = "the a story about time place person idea reason way thing day".split()


def minilm_tokenizer():
    from transformers import AutoTokenizer

    from rmbench.models import alias_path

    return AutoTokenizer.from_pretrained(str(alias_path("minilm")))


def tiny_bert(seed: int = 0):
    """A 2-layer, 32-wide BERT reward model (random) and the MiniLM tokenizer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    tok = minilm_tokenizer()
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=37, max_position_embeddings=512,
                     num_labels=1, pad_token_id=tok.pad_token_id)
    return BertForSequenceClassification(cfg), tok


def tiny_bert_dir(path: Path, seed: int = 0) -> Path:
    model, tok = tiny_bert(seed)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return Path(path)


def tiny_gpt2_dir(path: Path, seed: int = 0) -> Path:
    """A tiny GPT-2 with a word-level tokenizer that has no pad token (like the real one)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2ForSequenceClassification, PreTrainedTokenizerFast

    words = sorted(set(GOOD + BAD + FILLER + ["prompt", "post", "question", "answer"]))
    vocab = {"<unk>": 0, "<|endoftext|>": 1, **{w: i + 2 for i, w in enumerate(words)}}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>", eos_token="<|endoftext|>")
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=len(vocab), n_embd=32, n_layer=2, n_head=2, n_positions=256, num_labels=1)
    GPT2ForSequenceClassification(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return Path(path)


def _text(rng: random.Random, words: list[str], n: int) -> str:
    body = [rng.choice(FILLER) for _ in range(n)]
    for k in range(max(1, n // 4)):
        body[rng.randrange(n)] = rng.choice(words)
    return " ".join(body)


def make_pairs(task: str, split: str, n: int, seed: int = 0, synthetic: bool = True) -> list[dict]:
    """n pairs with a planted signal, later-but-higher, lengths varied both ways."""
    rng = random.Random(f"{task}:{split}:{seed}")
    rows = []
    for i in range(n):
        post = f"{task[:3]}{split[:2]}{i // 3}"
        cid, rid = f"c{i}", f"r{i}"
        chosen = _text(rng, GOOD, rng.randint(6, 30))
        rejected = _text(rng, BAD, rng.randint(6, 30))
        t_post = 1_600_000_000 + i * 10_000
        t_rej = t_post + rng.randint(60, 3000)
        t_cho = t_rej + rng.randint(1, 3000)
        cs, rs = rng.randint(20, 200), rng.randint(2, 9)
        rows.append({
            "pair_id": f"{post}:{cid}:{rid}", "task": task, "split": split, "subreddit": task,
            "post_id": post, "prompt": f"Prompt about {rng.choice(FILLER)} number {i // 3}",
            "chosen": chosen, "rejected": rejected, "chosen_id": cid, "rejected_id": rid,
            "chosen_score": cs, "rejected_score": rs,
            "chosen_created_utc": t_cho, "rejected_created_utc": t_rej,
            "chosen_delay_s": t_cho - t_post, "rejected_delay_s": t_rej - t_post,
            "time_gap_s": t_cho - t_rej, "score_ratio": cs / rs,
            "length_ratio": len(chosen) / len(rejected), "cross_task_dup": False, "synthetic": synthetic,
        })
    return sorted(rows, key=lambda r: r["pair_id"])


def _fingerprint(rows: list[dict]) -> str:
    return hashlib.sha256("\n".join(sorted(r["pair_id"] for r in rows)).encode()).hexdigest()


def write_prepared(out: Path, sizes: dict[str, dict[str, int]] | None = None, seed: int = 0,
                   synthetic: bool = True, spec: str = "demo") -> Path:
    """Prepared data in the docs/formats.md layout. ``sizes``: task -> split -> pairs."""
    sizes = sizes or {t: {"train": 48, "validation": 16, "test": 24, "test_hard": 12}
                      for t in ("writingprompts", "askacademia", "gradschool")}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = {}
    for task, per_split in sizes.items():
        (out / task).mkdir(exist_ok=True)
        splits = {}
        for split in SPLITS:
            rows = make_pairs(task, split, per_split.get(split, 0), seed, synthetic)
            with open(out / task / f"{split}.jsonl", "w") as fh:
                for row in rows:
                    fh.write(json.dumps(row) + "\n")
            splits[split] = {"pairs": len(rows), "posts": len({r["post_id"] for r in rows}),
                             "fingerprint": _fingerprint(rows)}
        tasks[task] = {
            "version": "1", "module": f"rmbench.tasks.{task}", "rules": {"preferred_later": True},
            "posts": {"seen": 10, "kept": 8, "dropped": {"post_score_low": 2}},
            "comments": {"seen": 40, "kept": 30, "dropped": {"comment_score_low": 10}, "orphans": 0},
            "pairs": {"candidates": 50, "dropped": {"score_ratio_low": 12, "preferred_not_later": 9}, "capped": 0},
            "splits": splits,
            "test_hard": {"pairs": splits["test_hard"]["pairs"], "small": True,
                          "fingerprint": splits["test_hard"]["fingerprint"],
                          "bounds": {"max_length_ratio": 1.25, "max_time_gap_s": 3600}},
            "cross_task_dups": 0, "warnings": [],
        }
    fp = hashlib.sha256(json.dumps({t: [v["version"], v["splits"], v["test_hard"]] for t, v in tasks.items()},
                                   sort_keys=True).encode()).hexdigest()
    manifest = {"kind": "rmbench.prepared", "schema_version": 1, "rmbench_version": "0.1.0",
                "source": {"spec": spec, "synthetic": synthetic, "files": {}}, "bad_input": {},
                "tasks": tasks, "fingerprint": fp}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return out
