"""``JudgeScorer``: a causal LM (or an encoder-decoder such as SteamSHP) asked which of two
replies is better, in both orders.

The prompt is ``judge_prompt.yaml`` beside this module (or ``model.judge_prompt``), its
version recorded in results.json. Each pair is asked twice -- chosen shown first, then
rejected shown first -- and each verdict is read from the next-token log-probabilities
of the two answer labels right after the generation prompt (never parsed from generated
text). Per order, ``margin`` = log p(label of chosen) - log p(label of rejected); a margin
of exactly 0 is a tie. The rewards a run stores are each reply's label log-probability
(normalised over the two labels) averaged over both orders, so accuracy counts a pair as
won when the judge's order-averaged preference favours the chosen reply, and a judge that
always answers "A" ties every pair (accuracy 0.5, position consistency 0:
``rmbench.eval.judge``).

Truncation cuts contents, never the template: the post first (down to a quarter of the
budget), then the longer reply, until both fit; the prompt is rendered again after a cut.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rmbench.errors import ConfigError
from rmbench.model.causal import next_token_logprobs
from rmbench.model.chat import FIT_ROUNDS, ContentTokens, has_chat_template
from rmbench.model.inputs import PROMPT_FLOOR_SHARE
from rmbench.model.scoring import BatchedScorer

PROMPT_DIR = Path(__file__).resolve().parent  # the default prompt and the presets' own
PROMPT_PATH = PROMPT_DIR / "judge_prompt.yaml"
FIELDS = ("post", "first", "second")
PROMPT_FORMATS = ("chat", "text")


@dataclass(frozen=True)
class JudgePrompt:
    version: str
    user: str
    labels: tuple[str, str]
    system: str | None
    sha256: str
    path: str
    # chat: ``user`` is the user turn of the tokenizer's chat template (an instruction-tuned
    # LM); text: ``user`` is the whole input, as a model trained on a fixed text format reads
    # it (SteamSHP's "POST: ... RESPONSE A: ... RESPONSE B: ..."), with the tokenizer's own
    # special tokens around it and no template.
    format: str = "chat"

    def messages(self, post: str, first: str, second: str) -> list[dict]:
        turn = {"role": "user", "content": self.filled(post, first, second)}
        return ([{"role": "system", "content": self.system}] if self.system else []) + [turn]

    def filled(self, post: str, first: str, second: str) -> str:
        # str.format reads braces in the template only; braces inside a post are plain text
        return self.user.format(post=post, first=first, second=second)


def load_prompt(path: str | Path | None = None) -> JudgePrompt:
    import yaml

    path = Path(path or PROMPT_PATH)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read the judge prompt {path}: {err}") from err
    unknown = sorted(set(raw or {}) - {"version", "user", "labels", "system", "format"})
    if not isinstance(raw, dict) or unknown or not raw.get("version") or not raw.get("user"):
        raise ConfigError(f"{path}: a judge prompt has version, user, labels and an optional system and format"
                          + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    fmt = raw.get("format") or "chat"
    if fmt not in PROMPT_FORMATS:
        raise ConfigError(f"{path}: format {fmt!r} is not one of {', '.join(PROMPT_FORMATS)}")
    if fmt == "text" and raw.get("system"):
        raise ConfigError(f"{path}: a text prompt has no system turn (put it in user)")
    labels = tuple(raw.get("labels") or ())
    if len(labels) != 2 or labels[0] == labels[1]:
        raise ConfigError(f"{path}: labels must be two different strings")
    for name in FIELDS:
        if "{" + name + "}" not in raw["user"]:
            raise ConfigError(f"{path}: the user turn must contain {{{name}}}")
    return JudgePrompt(str(raw["version"]), raw["user"], labels, raw.get("system"),
                       hashlib.sha256(text.encode("utf-8")).hexdigest(), str(path), fmt)


def prompt_format(path: str | Path | None) -> str:
    """``chat`` or ``text``: how the judge prompt at ``path`` (None: the default) renders."""
    return load_prompt(path).format


def plan_judge(n_post: int, n_first: int, n_second: int, budget: int) -> tuple[int, int, int]:
    """Tokens kept of the post and the two replies: the post is cut first, then the longer reply."""
    if n_post + n_first + n_second <= budget:
        return n_post, n_first, n_second
    floor = min(n_post, int(budget * PROMPT_FLOOR_SHARE))
    keep_post = max(floor, budget - n_first - n_second)
    room = budget - keep_post
    short = min(n_first, n_second, room // 2)
    long_ = room - short
    return (keep_post, short, min(n_second, long_)) if n_first <= n_second else (keep_post, min(n_first, long_), short)


@dataclass
class JudgeEncoded:
    input_ids: list[int]
    cuts: tuple[bool, bool, bool]  # post, first reply, second reply
    token_type_ids: None = None


class JudgeEncoder:
    has_token_types = False

    def __init__(self, tokenizer, prompt: JudgePrompt, max_length: int = 2048):
        if prompt.format == "chat" and not has_chat_template(tokenizer):
            raise ConfigError("a judge needs a tokenizer with a chat template (an instruction-tuned LM), or a text "
                              "prompt (--judge-prompt FILE with `format: text`, as the steamshp presets use)")
        self.tokenizer, self.prompt, self.max_length = tokenizer, prompt, int(max_length)
        self.input_format = prompt.format
        self.content = ContentTokens(tokenizer)
        self.frame = _special_frame(tokenizer, self.content) if prompt.format == "text" else ([], [])
        self.label_ids = []
        for label in prompt.labels:
            ids = self.content.ids(label)
            if len(ids) != 1:
                raise ConfigError(f"judge label {label!r} is {len(ids)} tokens for this tokenizer; labels must be one token")
            self.label_ids.append(ids[0])
        self.overhead = len(self.render("", "", ""))
        self.budget = self.max_length - self.overhead
        if self.budget < 24:
            raise ValueError(f"max_length {max_length} leaves {self.budget} tokens after the judge prompt's "
                             f"{self.overhead}; use at least {self.overhead + 64}")

    def render(self, post: str, first: str, second: str) -> list[int]:
        if self.prompt.format == "text":  # contents as plain text (a typed "</s>" stays text), specials around
            head, tail = self.frame
            return head + self.content.ids(self.prompt.filled(post, first, second)) + tail
        return self.content.render(self.prompt.messages(post, first, second), generation_prompt=True)

    def encode(self, post: str, replies: tuple[str, str]) -> JudgeEncoded:
        texts = (post, *replies)
        ids = [self.content.ids(t) for t in texts]
        budget = self.budget
        for _ in range(FIT_ROUNDS):
            keep = plan_judge(*(len(i) for i in ids), budget)
            cut = [t if k >= len(i) else self.content.text(i[:k]) for t, i, k in zip(texts, ids, keep)]
            out = self.render(*cut)
            if len(out) <= self.max_length:
                return JudgeEncoded(out, tuple(k < len(i) for i, k in zip(ids, keep)))
            budget -= len(out) - self.max_length
        raise ValueError(f"could not fit a judge prompt into {self.max_length} tokens")


def _special_frame(tokenizer, content: ContentTokens) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after a text (T5: none and ``</s>``;
    Llama: ``<s>`` and none), read off one encoding rather than assumed."""
    probe = "judge"
    bare, full = content.ids(probe), list(tokenizer(probe, add_special_tokens=True)["input_ids"])
    for i in range(len(full) - len(bare) + 1):
        if full[i:i + len(bare)] == bare:
            return full[:i], full[i + len(bare):]
    return [], []


class Seq2SeqJudge:
    """An encoder-decoder judge (SteamSHP, a T5): the labels' log-probabilities as the first
    token the decoder writes, from one forward pass over the encoder input."""

    name = "transformers"

    def __init__(self, model):
        self.model = model

    def label_logprobs(self, batch: dict, rows: list, label_ids: list[int]) -> list[tuple[float, float]]:
        import torch

        ids = batch["input_ids"]
        start = torch.full((ids.shape[0], 1), self.model.config.decoder_start_token_id, dtype=ids.dtype,
                           device=ids.device)
        logits = self.model(input_ids=ids, attention_mask=batch["attention_mask"], decoder_input_ids=start).logits
        logp = logits[:, 0, :].float().log_softmax(-1)
        return [tuple(x) for x in logp[:, label_ids].tolist()]


class TransformersJudge:
    """The default backend: label log-probabilities from one forward pass per batch."""

    name = "transformers"

    def __init__(self, model):
        self.model = model

    def label_logprobs(self, batch: dict, rows: list, label_ids: list[int]) -> list[tuple[float, float]]:
        logp = next_token_logprobs(self.model, batch)
        return [tuple(x) for x in logp[:, label_ids].tolist()]


class JudgeScorer(BatchedScorer):
    kind = "judge"

    def __init__(self, model, tokenizer, *, prompt: JudgePrompt | None = None, max_length: int = 2048,
                 batch_size: int | None = None, device=None, backend=None):
        self.prompt = prompt or load_prompt()
        super().__init__(model, tokenizer, JudgeEncoder(tokenizer, self.prompt, max_length),
                         device=device, batch_size=batch_size)
        if backend is None:
            seq2seq = getattr(getattr(self.model, "config", None), "is_encoder_decoder", False)
            backend = Seq2SeqJudge(self.model) if seq2seq else TransformersJudge(self.model)
        self.backend = backend
        self.truncated = {"prompt": 0, "response": 0}
        self.orders: dict[str, list[float]] = {}

    def _forward(self, batch: dict, rows: list) -> list[tuple[float, float, float]]:
        out = []
        for a, b in self.backend.label_logprobs(batch, rows, self.encoder.label_ids):
            top = max(a, b)
            both = top + math.log(math.exp(a - top) + math.exp(b - top))
            out.append((a - both, b - both, math.exp(both)))  # two-label log-probs, their mass of the vocabulary
        return out

    def pending_pairs(self, prompts, chosen, rejected) -> int:
        return self.pending(self._keys(prompts, chosen, rejected))

    @staticmethod
    def _keys(prompts, chosen, rejected) -> list:
        return ([(p, (c, r)) for p, c, r in zip(prompts, chosen, rejected)]
                + [(p, (r, c)) for p, c, r in zip(prompts, chosen, rejected)])

    def score_pairs(self, prompts: Sequence[str], chosen: Sequence[str], rejected: Sequence[str],
                    progress: Callable[[int], None] | None = None) -> tuple[list[float], list[float]]:
        n = len(prompts)
        values, cuts = self._run(self._keys(prompts, chosen, rejected), progress)
        first, second = values[:n], values[n:]  # chosen shown first / rejected shown first
        r_chosen = [(f[0] + s[1]) / 2 for f, s in zip(first, second)]
        r_rejected = [(f[1] + s[0]) / 2 for f, s in zip(first, second)]
        self.orders = {"margin_chosen_first": [f[0] - f[1] for f in first],
                       "margin_chosen_second": [s[1] - s[0] for s in second],
                       "label_mass": [(f[2] + s[2]) / 2 for f, s in zip(first, second)]}
        cf, cs = cuts[:n], cuts[n:]
        self.pair_cuts = {"prompt": [a[0] or b[0] for a, b in zip(cf, cs)],
                          "chosen": [a[1] or b[2] for a, b in zip(cf, cs)],
                          "rejected": [a[2] or b[1] for a, b in zip(cf, cs)]}
        self.truncated = {"prompt": sum(c[0] for c in cuts), "response": sum(c[1] or c[2] for c in cuts)}
        return r_chosen, r_rejected

    def split_extras(self) -> dict:
        return {"cuts": self.pair_cuts, "judge": self.orders}
