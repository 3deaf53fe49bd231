"""The chat input format: the tokenizer's own chat template, truncated without touching it.

Reward models built on chat LMs (Skywork-Reward, ArmoRM, ...) were trained on
``apply_chat_template([user: post, assistant: response])``; fed a raw text pair they score
something else (RewardBench issue #226). ``ChatEncoder`` renders exactly what
``tokenizer.apply_chat_template(..., tokenize=True)`` renders -- no special tokens added
on top (``add_special_tokens=False``, so a template that writes its own BOS gets one BOS,
not two) and, where transformers supports it, control-token strings inside a Reddit post
encoded as plain text (``sanitize_control_tokens``), so a comment that types
``<|im_end|>`` cannot end its own turn.

Truncation cuts the *contents*, never the template: the post and response are tokenized,
cut as token lists by ``rmbench.model.inputs.plan_cut`` (post first, down to a quarter of
the budget, then the response, each from its end), decoded and rendered again; if the
rendering still overflows (a merge at a cut), the budget shrinks by the excess and the
cut is redone.

``make_encoder`` chooses the format: ``auto`` is the chat template when the tokenizer has
one, else the text pair (``rmbench.model.inputs.PairEncoder``).
"""

from __future__ import annotations

import hashlib
import inspect
import json

from rmbench.errors import ConfigError
from rmbench.model.inputs import CAUSAL_SEPARATOR, Encoded, PairEncoder, plan_cut

INPUT_FORMATS = ("auto", "chat", "pair")
# Rendering overflows only by a merge or two at a cut; more rounds than this is a template
# whose length does not follow its contents, and an error beats a silent mis-cut.
FIT_ROUNDS = 4


def has_chat_template(tokenizer) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def resolve_input_format(tokenizer, requested: str) -> str:
    """``auto`` -> ``chat`` when the tokenizer has a chat template, else ``pair``."""
    if requested not in INPUT_FORMATS:
        raise ConfigError(f"input format {requested!r}: one of {', '.join(INPUT_FORMATS)}")
    if requested == "auto":
        return "chat" if has_chat_template(tokenizer) else "pair"
    if requested == "chat" and not has_chat_template(tokenizer):
        raise ConfigError("--input-format chat: this tokenizer has no chat template; use --input-format pair")
    return requested


class ContentTokens:
    """Tokenizes and detokenizes message contents the way a cut needs (no special tokens)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.backend = None
        raw = getattr(tokenizer, "_tokenizer", None)
        if raw is not None:
            from tokenizers import Tokenizer

            self.backend = Tokenizer.from_str(raw.to_str())  # private: no padding/truncation
            self.backend.no_padding()
            self.backend.no_truncation()
            if hasattr(self.backend, "encode_special_tokens"):
                self.backend.encode_special_tokens = True  # as sanitize_control_tokens renders them
        self.template_kwargs = {}
        if "sanitize_control_tokens" in inspect.signature(tokenizer.apply_chat_template).parameters:
            self.template_kwargs["sanitize_control_tokens"] = True

    def ids(self, text: str) -> list[int]:
        if self.backend is not None:
            return list(self.backend.encode(text, add_special_tokens=False).ids)
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def text(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def render(self, messages: list[dict], generation_prompt: bool = False) -> list[int]:
        out = self.tokenizer.apply_chat_template(messages, tokenize=True, return_dict=False,
                                                 add_generation_prompt=generation_prompt, **self.template_kwargs)
        return list(out["input_ids"] if isinstance(out, dict) else out)


def duplicated_specials(tokenizer, ids: list[int]) -> list[str]:
    """'BOS twice at the start' / 'EOS twice at the end' when ``ids`` show the double-BOS bug."""
    problems = []
    bos, eos = getattr(tokenizer, "bos_token_id", None), getattr(tokenizer, "eos_token_id", None)
    if bos is not None and ids[:2] == [bos, bos]:
        problems.append(f"BOS {tokenizer.bos_token!r} twice at the start")
    if eos is not None and len(ids) > 1 and ids[-2:] == [eos, eos]:
        problems.append(f"EOS {tokenizer.eos_token!r} twice at the end")
    return problems


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class ChatEncoder:
    """Encodes (post, response) as a user turn and an assistant turn of the chat template."""

    input_format = "chat"
    has_token_types = False

    def __init__(self, tokenizer, max_length: int = 512, with_response_start: bool = False):
        if not has_chat_template(tokenizer):
            raise ConfigError("the chat input format needs a tokenizer with a chat template")
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.with_response_start = with_response_start
        self.content = ContentTokens(tokenizer)
        self.overhead = len(self.render("", ""))
        self.budget = self.max_length - self.overhead
        if self.budget < 8:
            raise ValueError(f"max_length {max_length} leaves {self.budget} tokens for text after the chat "
                             f"template's {self.overhead}; use at least {self.overhead + 16}")
        probe = self.render("a post", "a reply")
        problems = duplicated_specials(tokenizer, probe)
        if problems:
            raise ConfigError(f"the chat template renders {' and '.join(problems)}; "
                              "score with --input-format pair or fix the template")

    @staticmethod
    def messages(prompt: str, response: str | None = None) -> list[dict]:
        turns = [{"role": "user", "content": prompt}]
        return turns + [{"role": "assistant", "content": response}] if response is not None else turns

    def render(self, prompt: str, response: str) -> list[int]:
        return self.content.render(self.messages(prompt, response))

    def encode(self, prompt: str, response: str) -> Encoded:
        a, b = self.content.ids(prompt), self.content.ids(response)
        budget = self.budget
        for _ in range(FIT_ROUNDS):
            keep_a, keep_b = plan_cut(len(a), len(b), budget)
            p = prompt if keep_a >= len(a) else self.content.text(a[:keep_a])
            r = response if keep_b >= len(b) else self.content.text(b[:keep_b])
            ids = self.render(p, r)
            if len(ids) <= self.max_length:
                break
            budget -= len(ids) - self.max_length
        else:
            raise ValueError(f"could not fit a chat rendering into {self.max_length} tokens")
        start = None
        if self.with_response_start:
            head = self.content.render(self.messages(p), generation_prompt=True)
            start = len(head) if ids[: len(head)] == head else common_prefix(ids, head)
        return Encoded(ids, None, keep_a < len(a), keep_b < len(b), start)


def make_encoder(tokenizer, input_format: str = "auto", max_length: int = 512, with_response_start: bool = False):
    """The encoder of ``input_format`` (auto / chat / pair) for ``tokenizer``."""
    fmt = resolve_input_format(tokenizer, input_format)
    if fmt == "chat":
        return ChatEncoder(tokenizer, max_length, with_response_start)
    if with_response_start:
        raise ConfigError("this model kind reads the response span of a chat rendering: use --input-format chat")
    return PairEncoder(tokenizer, max_length)


def template_text(encoder) -> str:
    """What decides the rendering besides the texts: the chat template, the pair template, or a
    judge's text prompt."""
    tok = encoder.tokenizer
    if encoder.input_format == "chat":
        return tok.chat_template
    raw = getattr(tok, "_tokenizer", None)
    post = json.loads(raw.to_str()).get("post_processor") if raw is not None else None
    if encoder.input_format == "text":  # a judge's fixed text: its prompt and the special tokens around it
        return json.dumps({"format": "text", "post_processor": post, "prompt": encoder.prompt.user}, sort_keys=True)
    return json.dumps({"format": "pair", "post_processor": post,
                       "separator": CAUSAL_SEPARATOR if encoder.separator_ids else None}, sort_keys=True)


def template_sha256(encoder) -> str:
    return hashlib.sha256(template_text(encoder).encode("utf-8")).hexdigest()


def rendered_text(tokenizer, ids: list[int]) -> str:
    """The exact tokens as text, special tokens included (for results.json's example)."""
    return tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
