"""Fixtures shared across the suite: the real data, a headless browser, tiny models and
prepared data written by prepare's own writer.

Builders are fixtures that return the builder function, so a test asks for what it needs
by name (``def test_x(tmp_path, write_prepared, tiny_bert_dir)``) and nothing imports a
helper module. Stage-specific builders live in the conftest.py of their folder.
"""

from __future__ import annotations

import functools
import os
import random
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DUMPS = REPO.parent / "shared" / "data" / "reddit-dumps"
# The closed network refuses Chromium's background connections; these flags stop it trying.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def shared_dumps() -> Path:
    if not SHARED_DUMPS.is_dir():
        pytest.skip(f"real Reddit dumps not found at {SHARED_DUMPS} (they sit beside the checkout in CI)")
    return SHARED_DUMPS


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright (no browser download: the system one)."""
    exe = os.environ.get("RMBENCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("no chromium on PATH (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots and other files a person may want to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# -- tiny models and prepared data ------------------------------------------------------
SPLITS = ("train", "validation", "test", "test_hard", "all_hard")
GOOD = "clear kind vivid careful honest precise thoughtful warm".split()
BAD = "lazy rude vague sloppy dull wrong careless cold".split()
FILLER = "the a story about time place person idea reason way thing day".split()


def minilm_tokenizer():
    from transformers import AutoTokenizer

    from rmbench.model.load import alias_path

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


# A Llama-3-style chat template that writes its own BOS (so a tokenizer that also adds one
# on encode shows the double-BOS bug when the rendering is tokenized naively).
CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}"
                 "{% if m['role'] == 'user' %}<|user|>\n{% elif m['role'] == 'system' %}<|system|>\n"
                 "{% else %}<|assistant|>\n{% endif %}{{ m['content'] }}<|end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
CHAT_SPECIALS = ["<s>", "</s>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>"]


@functools.cache
def _trained_bpe() -> str:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    corpus = [" ".join(GOOD + BAD + FILLER)] * 4 + ["Here is a post from an online community, two replies. "
                                                     "Which reply did the community upvote more? A or B."]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=CHAT_SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    raw.train_from_iterator(corpus, trainer)
    raw.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A $B",
                                                       special_tokens=[("<s>", raw.token_to_id("<s>"))])
    return raw.to_str()


def tiny_chat_tokenizer(chat_template: str | None = CHAT_TEMPLATE):
    """A byte-level BPE tokenizer (any text round-trips) with Llama's BOS-adding post-processor."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer.from_str(_trained_bpe())
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<s>", eos_token="</s>",
                                  additional_special_tokens=CHAT_SPECIALS[2:])
    tok.chat_template = chat_template
    return tok


def _tiny_llama_config(tok, **kw):
    from transformers import LlamaConfig

    return LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                       bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                       pad_token_id=tok.eos_token_id, **kw)


def tiny_llama_classifier_dir(path: Path, seed: int = 0, head: bool = True) -> Path:
    """A Llama-style one-logit classifier with a chat template, saved in the hub's layout
    (``head=False``: the same backbone saved as a causal LM, i.e. no reward head)."""
    import torch
    from transformers import LlamaForCausalLM, LlamaForSequenceClassification

    tok = tiny_chat_tokenizer()
    torch.manual_seed(seed)
    cls = LlamaForSequenceClassification if head else LlamaForCausalLM
    cls(_tiny_llama_config(tok, num_labels=1)).save_pretrained(path)
    tok.save_pretrained(path)
    return Path(path)


def tiny_llama_lm_dir(path: Path, seed: int = 0) -> Path:
    """A Llama-style causal LM with a chat template (a DPO policy or reference, a judge)."""
    import torch
    from transformers import LlamaForCausalLM

    tok = tiny_chat_tokenizer()
    torch.manual_seed(seed)
    LlamaForCausalLM(_tiny_llama_config(tok)).save_pretrained(path)
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


def write_prepared(out: Path, sizes: dict[str, dict[str, int]] | None = None, seed: int = 0,
                   synthetic: bool = True, spec: str = "demo",
                   dropped: dict[str, dict[str, int]] | None = None, edit=None) -> Path:
    """Prepared data written by prepare's own writer (``rmbench.prepare.write``), so harness
    tests read exactly what ``rmbench prepare`` writes. ``sizes``: task -> split -> pairs.
    ``dropped``: stage (posts, comments, pairs) -> rule -> count, what the rules dropped in
    every task (the seen/candidate counts grow to match, so the manifest's sums still hold).
    ``edit(task, split, rows)`` may change the rows (in place) before they are written."""
    from collections import Counter

    from rmbench.prepare.pair import TaskStats
    from rmbench.prepare.write import dict_rows, manifest_document, task_entry, write_manifest, write_splits
    from rmbench.registry import get_task

    sizes = sizes or {t: {"train": 48, "validation": 16, "test": 24, "test_hard": 12}
                      for t in ("writingprompts", "askacademia", "gradschool")}
    dropped = {stage: Counter(v) for stage, v in (dropped or {}).items()}
    unknown = set(dropped) - {"posts", "comments", "pairs"}
    assert not unknown, f"dropped: unknown stage(s) {sorted(unknown)}"
    drops = {stage: dropped.get(stage, Counter()) for stage in ("posts", "comments", "pairs")}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = {}
    for task, per_split in sizes.items():
        rows = {split: make_pairs(task, split, per_split.get(split, 0), seed, synthetic) for split in SPLITS}
        for split in SPLITS if edit else ():
            edit(task, split, rows[split])
        splits = write_splits(out / task, {s: dict_rows(r) for s, r in rows.items()})
        kept = sum(len(rows[s]) for s in ("train", "validation", "test"))
        posts = sum(splits[s]["posts"] for s in ("train", "validation", "test"))
        stats = TaskStats(posts_seen=posts + drops["posts"].total(), posts_kept=posts,
                          posts_dropped=Counter(drops["posts"]),
                          comments_seen=2 * kept + drops["comments"].total(), comments_kept=2 * kept,
                          comments_dropped=Counter(drops["comments"]),
                          candidates=kept + drops["pairs"].total(), pairs_dropped=Counter(drops["pairs"]),
                          pairs_kept=kept)
        stats.check()
        tasks[task] = task_entry(get_task(task), splits, stats=stats)
    write_manifest(out, manifest_document(source={"spec": spec, "synthetic": synthetic, "files": {}},
                                          bad_input={}, tasks=tasks))
    return out


# -- builders as fixtures: tests ask for the builder by name -----------------------------
# Session-scoped: a builder is a plain function, and module-scoped fixtures may use it.
@pytest.fixture(name="tiny_bert", scope="session")
def _tiny_bert_fixture():
    """``tiny_bert(seed=0) -> (model, tokenizer)``: a 2-layer random BERT reward model."""
    return tiny_bert


@pytest.fixture(name="tiny_bert_dir", scope="session")
def _tiny_bert_dir_fixture():
    """``tiny_bert_dir(path, seed=0) -> path``: the same, saved in the hub's layout."""
    return tiny_bert_dir


@pytest.fixture(name="tiny_gpt2_dir", scope="session")
def _tiny_gpt2_dir_fixture():
    """``tiny_gpt2_dir(path, seed=0) -> path``: a tiny GPT-2 classifier without a pad token."""
    return tiny_gpt2_dir


@pytest.fixture(name="tiny_chat_tokenizer", scope="session")
def _tiny_chat_tokenizer_fixture():
    """``tiny_chat_tokenizer(chat_template=CHAT_TEMPLATE)``: byte-level BPE, BOS on encode, a chat template."""
    return tiny_chat_tokenizer


@pytest.fixture(name="tiny_llama_classifier_dir", scope="session")
def _tiny_llama_classifier_dir_fixture():
    """``tiny_llama_classifier_dir(path, seed=0, head=True) -> path``: Llama-style classifier, chat template."""
    return tiny_llama_classifier_dir


@pytest.fixture(name="tiny_llama_lm_dir", scope="session")
def _tiny_llama_lm_dir_fixture():
    """``tiny_llama_lm_dir(path, seed=0) -> path``: Llama-style causal LM (policy, reference, judge)."""
    return tiny_llama_lm_dir


@pytest.fixture(name="make_pairs", scope="session")
def _make_pairs_fixture():
    """``make_pairs(task, split, n, seed=0, synthetic=True) -> rows`` with a planted signal."""
    return make_pairs


@pytest.fixture(name="write_prepared", scope="session")
def _write_prepared_fixture():
    """``write_prepared(out, sizes=None, seed=0, synthetic=True, spec="demo", dropped=None, edit=None) -> out``."""
    return write_prepared


@pytest.fixture(scope="session")
def tiny_cli_env(tmp_path_factory) -> dict:
    """Environment for running the real `rmbench` executable as a user would, in seconds:
    ``$RMBENCH_CONFIG`` names tiny settings (a 2-layer random BERT, a few dozen pairs) and
    ``$RMBENCH_CACHE`` a cache shared by the session, so the demo is prepared once."""
    import yaml

    root = tmp_path_factory.mktemp("tiny-cli")
    model = tiny_bert_dir(root / "tiny-bert")
    config = {"model": {"name": str(model)},  # max_length auto, as a user has it
              "train": {"epochs": 1, "batch_size": 16, "learning_rate": 1e-3},
              "data": {"max_train_pairs": 64, "max_validation_pairs": 32, "limit": 80},
              "eval": {"bootstrap_samples": 100}}
    (root / "tiny.yaml").write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RMBENCH_", "COLUMNS", "LINES", "FORCE_COLOR"))}
    return {**env, "RMBENCH_CONFIG": str(root / "tiny.yaml"), "RMBENCH_CACHE": str(root / "cache"),
            **{k: os.environ[k] for k in ("RMBENCH_CELL_START",) if k in os.environ},  # as the suite's sweeps start cells
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


# -- the hub's dataset layouts, written locally ----------------------------------------------
_WORDS = ("the", "oven", "thesis", "advisor", "bread", "salt", "paper", "lab", "yeast", "grant", "review",
          "story", "night", "moon", "river", "door", "letter", "storm", "garden", "silence")


def _prose(rng: random.Random, chars: int) -> str:
    out = []
    while sum(len(w) + 1 for w in out) < chars:
        out.append(rng.choice(_WORDS))
    return " ".join(out).capitalize() + "."


def write_shp_layout(root: Path, subs: dict[str, int], seed: int = 0) -> Path:
    """stanfordnlp/SHP's layout (<domain>/{train,validation,test}.json, JSON Lines): ``subs``
    maps a domain folder (askculinary) to its posts; each post has 4 root comments with
    clearly ranked scores, written as SHP writes them: one row per pair of comments."""
    import itertools
    import json

    rng = random.Random(f"shp:{seed}")
    for domain, n in subs.items():
        rows: dict[str, list] = {}
        for i in range(n):
            split = ("train", "validation", "test")[i % 3]
            pid, t0 = f"{domain}{i}", 1_500_000_000 + i * 86_400
            # the higher-scored comment is the later one: SHP's (and rmbench's) pairing rule
            comments = [(f"{pid}c{k}", score, t0 + 600 * (4 - k), _prose(rng, rng.randint(80, 600)))
                        for k, score in enumerate((60, 14, 5, 1))]
            history = f"Question {i} about {rng.choice(_WORDS)}? " + _prose(rng, 120)
            for (a, sa, ta, ha), (b, sb, tb, hb) in itertools.combinations(comments, 2):
                hi, lo = max(sa, sb), max(1, min(sa, sb))
                rows.setdefault(split, []).append({
                    "post_id": pid, "domain": f"{domain}_{split}", "upvote_ratio": 0.95,
                    "history": history,
                    "c_root_id_A": a, "c_root_id_B": b, "created_at_utc_A": ta, "created_at_utc_B": tb,
                    "score_A": sa, "score_B": sb, "human_ref_A": ha, "human_ref_B": hb, "labels": int(sa > sb),
                    "seconds_difference": float(abs(ta - tb)), "score_ratio": hi / lo})
        for split, lines in rows.items():
            path = root / domain / f"{split}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return root


def write_wp_layout(root: Path, posts: int, seed: int = 0) -> Path:
    """euclaise/WritingPrompts_preferences' layout (data/train-XXXXX-of-XXXXX.parquet): one row
    per prompt with its stories, their scores and times."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(f"wp:{seed}")
    (root / "data").mkdir(parents=True, exist_ok=True)
    cols: dict[str, list] = {k: [] for k in ("post_text", "post_title", "post_scores", "comment_texts",
                                             "comment_scores", "comment_times")}
    for i in range(posts):
        t0 = 1_600_000_000 + i * 86_400
        cols["post_text"].append("")
        cols["post_title"].append(f"[WP] Prompt {i}: the {rng.choice(_WORDS)} remembers")
        cols["post_scores"].append(rng.randint(20, 500))
        cols["comment_texts"].append([_prose(rng, rng.randint(600, 2000)) for _ in range(4)])
        cols["comment_scores"].append([80, 20, 6, 1])
        cols["comment_times"].append([str(t0 + 900 * (4 - k)) for k in range(4)])
    schema = pa.schema([("post_text", pa.string()), ("post_title", pa.string()), ("post_scores", pa.int64()),
                        ("comment_texts", pa.list_(pa.string())), ("comment_scores", pa.list_(pa.int64())),
                        ("comment_times", pa.list_(pa.string()))])
    pq.write_table(pa.table(cols, schema=schema), root / "data" / "train-00000-of-00001.parquet")
    return root


@pytest.fixture(name="write_shp_layout", scope="session")
def _write_shp_layout_fixture():
    """``write_shp_layout(root, {domain: posts}, seed=0) -> root`` (SHP's hub layout)."""
    return write_shp_layout


@pytest.fixture(name="write_wp_layout", scope="session")
def _write_wp_layout_fixture():
    """``write_wp_layout(root, posts, seed=0) -> root`` (WritingPrompts_preferences' hub layout)."""
    return write_wp_layout


def write_hub_cache(cache: Path, repo_id: str, folder: Path, revision: str = "0" * 40, repo_type: str = "dataset") -> Path:
    """``folder``'s files as huggingface_hub's cache holds a downloaded dataset (or model) repo:
    datasets--OWNER--NAME/{blobs/<sha256>, snapshots/<revision>/<path> -> blob, refs/main}.
    With HF_HUB_CACHE=cache and HF_HUB_OFFLINE=1 the real ``snapshot_download`` (and
    ``from_pretrained``) answers from it."""
    import hashlib

    repo = cache / f"{repo_type}s--{repo_id.replace('/', '--')}"
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = f.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        link = repo / "snapshots" / revision / f.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return cache


@pytest.fixture(name="write_hub_cache", scope="session")
def _write_hub_cache_fixture():
    """``write_hub_cache(cache, repo_id, folder, revision=...) -> cache`` (the hub cache's layout)."""
    return write_hub_cache


# -- run folders for `rmbench compare` ------------------------------------------------------
def write_run_folder(path: Path, outcomes: dict[str, float], *, fingerprint: str = "f" * 64, split: str = "heldout_all",
              extra_lines: list[str] = (), model: str = "m") -> Path:
    """A run folder: results.json's few fields compare reads, and one predictions line per pair
    (reward_chosen above, below or equal to reward_rejected for outcome 1, 0, 0.5)."""
    import json

    path.mkdir(parents=True)
    (path / "results.json").write_text(json.dumps({"model": {"id": model}, "synthetic_data": False,
                                                   "data": {"manifest_fingerprint": fingerprint}}))
    lines = [json.dumps({"task": "t", "split": split, "pair_id": pid, "reward_chosen": o, "reward_rejected": 0.5})
             for pid, o in outcomes.items()]
    (path / "predictions.jsonl").write_text("\n".join([*lines, *extra_lines]) + "\n")
    return path


def pair_ids(posts: int, per_post: int = 2) -> list[str]:
    """``per_post`` pair ids for each of ``posts`` posts (post id before the first colon)."""
    return [f"p{i}:c{j}:r{j}" for i in range(posts) for j in range(per_post)]


def loo_sweep(path: Path, outcomes: dict[str, dict[str, float]], model: str = "m") -> Path:
    """A `sweep --leave-one-out` folder: per task a cell holding it out, whose predictions also
    carry another task's in-domain rows (which the comparison must leave out)."""
    import json

    tasks = list(outcomes)
    path.mkdir(parents=True)
    (path / "sweep.json").write_text(json.dumps({"kind": "rmbench.sweep", "leave_one_out": {"tasks": tasks}}))
    for t in tasks:
        cell = path / "cells" / f"loo-{t}"
        cell.mkdir(parents=True)
        other = next(u for u in tasks if u != t)
        (cell / "results.json").write_text(json.dumps({
            "model": {"id": model}, "synthetic_data": False, "data": {"manifest_fingerprint": "f" * 64},
            "results": {t: {"role": "heldout"}, other: {"role": "in_domain"}}}))
        rows = [{"task": t, "split": "heldout_all", "pair_id": pid, "reward_chosen": o, "reward_rejected": 0.5}
                for pid, o in outcomes[t].items()]
        rows += [{"task": other, "split": "test", "pair_id": pid, "reward_chosen": 1.0, "reward_rejected": 0.0}
                 for pid in list(outcomes[other])[:5]]
        (cell / "predictions.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n")
    return path


def seeded_sweep(path: Path, by_seed: dict[int, dict[str, dict[str, float]]], base: int = 0) -> Path:
    """A `sweep --leave-one-out --seeds` folder: per task and seed a cell (the config's own seed
    keeps the plain `loo-T` name, as the sweep writes them)."""
    import json

    seeds = list(by_seed)
    loo_sweep(path, by_seed[base])
    (path / "sweep.json").write_text(json.dumps({"kind": "rmbench.sweep", "config": {"seed": base},
                                                 "leave_one_out": {"tasks": list(by_seed[base]), "seeds": seeds}}))
    for s in seeds:
        if s != base:
            loo_sweep(path / "tmp", by_seed[s])
            for cell in (path / "tmp" / "cells").iterdir():
                cell.rename(path / "cells" / f"{cell.name}-seed{s}")
            for f in (path / "tmp").iterdir():
                f.unlink() if f.is_file() else f.rmdir()
            (path / "tmp").rmdir()
    return path


@pytest.fixture(name="write_run_folder")
def _write_run_folder_fixture():
    return write_run_folder


@pytest.fixture(name="pair_ids")
def _pair_ids_fixture():
    return pair_ids


@pytest.fixture(name="loo_sweep")
def _loo_sweep_fixture():
    return loo_sweep


@pytest.fixture(name="seeded_sweep")
def _seeded_sweep_fixture():
    return seeded_sweep
