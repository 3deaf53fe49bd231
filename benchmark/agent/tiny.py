"""A tiny randomly initialised GPT-2 with a word-level tokenizer fitted on the given texts.

``--model tiny`` everywhere in ``rmbench agent``: it lets the whole chain run offline on a
CPU in seconds (tests, CI, smoke runs). It writes nonsense; that is not its job.
"""

from __future__ import annotations

import re
from collections import Counter

from rmbench.agent.format import PROMPT_TEMPLATE

TINY = "tiny"
PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
# Same split as the tokenizer's Whitespace pre-tokenizer: words, and runs of punctuation.
_WORD = re.compile(r"\w+|[^\w\s]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def build_tiny_tokenizer(texts, vocab_size: int = 512):
    """A lower-casing word-level tokenizer over the most frequent words of ``texts``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    counts = Counter()
    for t in list(texts) + [PROMPT_TEMPLATE]:
        counts.update(_words(t))
    vocab = {PAD: 0, EOS: 1, UNK: 2}
    for word, _ in counts.most_common(max(0, vocab_size - len(vocab))):
        vocab.setdefault(word, len(vocab))
    tk = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    tk.normalizer = normalizers.Lowercase()
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token=EOS, pad_token=PAD, unk_token=UNK,
                                  bos_token=EOS, model_max_length=256)
    return tok


def build_tiny_model(tokenizer, seed: int = 0, n_layer: int = 2, n_embd: int = 32, n_head: int = 2,
                     n_positions: int = 256):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=len(tokenizer), n_positions=n_positions, n_layer=n_layer, n_embd=n_embd,
                     n_head=n_head, bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                     pad_token_id=tokenizer.pad_token_id)
    model = GPT2LMHeadModel(cfg)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def build_tiny(texts, seed: int = 0, vocab_size: int = 512):
    tok = build_tiny_tokenizer(texts, vocab_size=vocab_size)
    return build_tiny_model(tok, seed=seed), tok
