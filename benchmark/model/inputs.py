"""Model inputs: the text each side of a pair becomes, its tokens, and padded batches.

- ``response_text`` / ``side_texts``: the response as a model reads it (with the optional
  delay line), built here once for training, scoring and verification;
- ``PairEncoder``: (prompt, response) as one text pair of at most ``max_length`` tokens;
- ``pad_batch``: right-padded tensors for a list of encodings.

The other input format, the tokenizer's chat template (post as the user turn, response
as the assistant turn), is ``rmbench.model.chat``; ``chat.make_encoder`` picks one.

Truncation never drops a pair. When the two texts do not fit in ``max_length`` tokens,
the post is cut first (from its end, so the title survives) down to a floor of a quarter
of the budget, then the response is cut from its end. Each cut is reported so that runs
can count them.

Fast (``tokenizers``-backed) tokenizers are driven directly: the two texts are encoded
without special tokens, truncated as token lists, and joined by the tokenizer's own pair
template -- exact, and the same tokens the tokenizer would produce. Other tokenizers fall
back to cutting decoded text and a final ``truncation="longest_first"`` safety net.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass

# A pair template that adds nothing between the texts (GPT-2, most causal LMs) would glue
# the response onto the post; this separator goes between them instead.
CAUSAL_SEPARATOR = "\n\n"
# The post keeps at least this share of the token budget before the response is cut:
# a reward for a response read without its prompt is a different task.
PROMPT_FLOOR_SHARE = 0.25


def delay_text(delay_s: int | None) -> str:
    """The optional response-delay input, prepended to the response."""
    if delay_s is None:
        return "[posted at an unknown time after the prompt]\n"
    minutes = max(0, int(delay_s) // 60)
    return f"[posted {minutes} minutes after the prompt]\n"


def response_text(pair: dict, side: str, with_delay: bool = False) -> str:
    """The text a reward model reads for one side of a pair (``"chosen"`` or ``"rejected"``)."""
    text = pair[side]
    return delay_text(pair.get(f"{side}_delay_s")) + text if with_delay else text


def side_texts(pairs, with_delay: bool = False) -> tuple[list[str], list[str], list[str]]:
    """(prompts, chosen texts, rejected texts) of ``pairs``, as every scorer and trainer reads them."""
    return ([p["prompt"] for p in pairs], [response_text(p, "chosen", with_delay) for p in pairs],
            [response_text(p, "rejected", with_delay) for p in pairs])


@dataclass
class Encoded:
    input_ids: list[int]
    token_type_ids: list[int] | None
    prompt_cut: bool
    response_cut: bool
    # Index of the first token after the prompt (the chat format fills it; the DPO reward
    # sums log-probabilities from here on). None: not known for this format.
    response_start: int | None = None

    @property
    def cuts(self) -> tuple[bool, bool]:
        return (self.prompt_cut, self.response_cut)


def plan_cut(n_prompt: int, n_response: int, budget: int) -> tuple[int, int]:
    """How many prompt and response tokens to keep in ``budget``: the post is cut first,
    down to its floor (a quarter of the budget), then the response."""
    if n_prompt + n_response <= budget:
        return n_prompt, n_response
    floor = min(n_prompt, int(budget * PROMPT_FLOOR_SHARE))
    keep_prompt = max(floor, budget - n_response)
    return keep_prompt, min(n_response, budget - keep_prompt)


class PairEncoder:
    """Encodes (prompt, response) text pairs into at most ``max_length`` token ids."""

    input_format = "pair"

    def __init__(self, tokenizer, max_length: int = 512):
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.backend = None
        raw = getattr(tokenizer, "_tokenizer", None)
        if raw is not None:
            from tokenizers import Tokenizer

            # A private copy: the saved tokenizer.json may carry padding/truncation settings.
            self.backend = Tokenizer.from_str(raw.to_str())
            self.backend.no_padding()
            self.backend.no_truncation()
        self.specials = tokenizer.num_special_tokens_to_add(pair=True)
        single = tokenizer.num_special_tokens_to_add(pair=False)
        self.separator_ids: list[int] = []
        if self.specials == single:
            self.separator_ids = tokenizer.encode(CAUSAL_SEPARATOR, add_special_tokens=False)
        self.budget = self.max_length - self.specials - len(self.separator_ids)
        if self.budget < 8:
            raise ValueError(f"max_length {max_length} leaves {self.budget} tokens for text; use at least 16")
        self.has_token_types = "token_type_ids" in getattr(tokenizer, "model_input_names", [])

    def _plan(self, n_prompt: int, n_response: int) -> tuple[int, int]:
        return plan_cut(n_prompt, n_response, self.budget)

    def encode(self, prompt: str, response: str) -> Encoded:
        if self.backend is not None:
            return self._encode_fast(prompt, response)
        return self._encode_slow(prompt, response)

    def _encode_fast(self, prompt: str, response: str) -> Encoded:
        a = self.backend.encode(prompt, add_special_tokens=False)
        b = self.backend.encode(response, add_special_tokens=False)
        n_a, n_b = len(a.ids), len(b.ids)
        keep_a, keep_b = self._plan(n_a, n_b)
        if keep_a < n_a:
            a.truncate(keep_a)
        if keep_b < n_b:
            b.truncate(keep_b)
        if self.separator_ids:
            from tokenizers import Encoding

            a = Encoding.merge([a, self.backend.encode(CAUSAL_SEPARATOR, add_special_tokens=False)])
        joined = self.backend.post_process(a, b, add_special_tokens=True)
        types = list(joined.type_ids) if self.has_token_types else None
        return Encoded(list(joined.ids), types, keep_a < n_a, keep_b < n_b)

    def _encode_slow(self, prompt: str, response: str) -> Encoded:
        tok = self.tokenizer
        a = tok.encode(prompt, add_special_tokens=False)
        b = tok.encode(response, add_special_tokens=False)
        keep_a, keep_b = self._plan(len(a), len(b))
        p_text = tok.decode(a[:keep_a]) if keep_a < len(a) else prompt
        r_text = tok.decode(b[:keep_b]) if keep_b < len(b) else response
        if self.separator_ids:
            out = tok(p_text + CAUSAL_SEPARATOR + r_text, truncation=True, max_length=self.max_length)
        else:
            out = tok(p_text, r_text, truncation="longest_first", max_length=self.max_length)
        return Encoded(list(out["input_ids"]), list(out["token_type_ids"]) if "token_type_ids" in out
                       and self.has_token_types else None, keep_a < len(a), keep_b < len(b))


def compact(e):
    """``e`` with its token lists as C arrays (4 bytes a token id, 1 a type id, against ~44 and
    8 in a list of Python ints): a scorer keeps every unique input encoded until it has sorted
    and batched them, 7k inputs of up to 512 tokens on a real held-out split. Same values."""
    e.input_ids = array("i", e.input_ids)
    if e.token_type_ids is not None:
        e.token_type_ids = array("b", e.token_type_ids)
    return e


def _long_tensor(row):
    import torch

    if isinstance(row, array) and len(row):  # compact(): read the buffer, no per-element conversion
        return torch.frombuffer(row, dtype=torch.int32 if row.typecode == "i" else torch.int8).long()
    return torch.tensor(row, dtype=torch.long)


def pad_batch(encoded: Sequence, pad_id: int, with_types: bool):
    """Right-pad a list of ``Encoded`` (or dicts with input_ids/token_type_ids) to one tensor batch."""
    def ids_of(e):
        return e["input_ids"] if isinstance(e, dict) else e.input_ids

    def types_of(e):
        return e.get("token_type_ids") if isinstance(e, dict) else e.token_type_ids

    import torch

    width = max(len(ids_of(e)) for e in encoded)
    ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    types = torch.zeros((len(encoded), width), dtype=torch.long) if with_types else None
    for i, e in enumerate(encoded):
        row = ids_of(e)
        ids[i, : len(row)] = _long_tensor(row)
        mask[i, : len(row)] = 1
        if types is not None and types_of(e) is not None:
            types[i, : len(row)] = _long_tensor(types_of(e))
    out = {"input_ids": ids, "attention_mask": mask}
    if types is not None:
        out["token_type_ids"] = types
    return out
