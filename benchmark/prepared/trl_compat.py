"""What TRL's ``RewardTrainer`` needs from a tokenizer, and which exported pairs it would drop.

TRL (1.x) reads ``rmbench export --format trl|trl-chat`` unchanged, with two traps:

- For plain-text rows it appends ``tokenizer.eos_token`` to ``chosen`` and ``rejected``. An
  encoder such as MiniLM (rmbench's default model) has no EOS token, and TRL fails with a
  ``TypeError`` deep in ``datasets.map``. ``for_trl`` gives it the separator token as its
  EOS; the encoder then reads ``[CLS] prompt response [SEP] [SEP]``, which fine-tunes as well.
- It silently drops every pair whose chosen or rejected side is longer than
  ``RewardConfig.max_length`` tokens (1024 by default). ``LengthCheck`` measures each
  exported row exactly as TRL does, so ``rmbench export --max-length N --model M`` can say
  how many pairs of each split TRL would drop (the test suite checks the count against
  TRL's own filter).

Conversational rows (``trl-chat``) need a chat template; a tokenizer without one gets a
plain ``role: content`` template (``for_trl`` says so).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# A minimal template for tokenizers that have none (encoders): roles as plain words, the
# encoder's own [CLS] ... [SEP] framing kept, so it reads what it was pretrained on.
PLAIN_CHAT_TEMPLATE = (
    "{% if cls_token %}{{ cls_token }}{% endif %}"
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% if not loop.last %}\n\n{% endif %}{% endfor %}"
    "{% if sep_token %}{{ sep_token }}{% endif %}")


def for_trl(tokenizer) -> list[str]:
    """Give ``tokenizer`` what TRL's RewardTrainer needs, in place; returns what changed."""
    changed = []
    if tokenizer.eos_token is None:
        eos = tokenizer.sep_token or tokenizer.pad_token or tokenizer.unk_token
        if eos is None:
            from rmbench.errors import ConfigError

            raise ConfigError("this tokenizer has no EOS, separator, pad or unknown token for TRL to append")
        tokenizer.eos_token = eos
        changed.append(f"eos_token = {eos!r} (TRL appends it to every plain-text response)")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
        changed.append(f"pad_token = {tokenizer.eos_token!r}")
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = PLAIN_CHAT_TEMPLATE
        changed.append("chat_template = plain 'role: content' lines (for --format trl-chat)")
    return changed


def trl_token_ids(tokenizer, rows: list[dict]) -> list[tuple[list[int], list[int]]]:
    """The chosen and rejected token ids TRL's RewardTrainer builds from exported rows
    (``trl.trainer.reward_trainer.RewardTrainer._prepare_dataset``, TRL 1.16), in one batch."""
    sides = ("chosen", "rejected")
    if rows and isinstance(rows[0]["chosen"], list):  # conversational: prompt messages + the response
        return [tuple(tokenizer.apply_chat_template(r["prompt"] + r[s], tokenize=True, return_dict=True)["input_ids"]
                      for s in sides) for r in rows]
    eos = tokenizer.eos_token
    texts = [r["prompt"] + (r[s] if r[s].endswith(eos) else r[s] + eos) for r in rows for s in sides]
    ids = tokenizer(text=texts)["input_ids"] if texts else []
    return list(zip(ids[0::2], ids[1::2]))


@dataclass
class LengthCheck:
    """Counts, per split, the exported pairs TRL would drop at ``max_length`` tokens."""

    tokenizer: object
    max_length: int
    name: str

    @classmethod
    def for_model(cls, model: str, max_length: int) -> LengthCheck:
        from rmbench.errors import ConfigError
        from rmbench.model.load import load_tokenizer

        if max_length < 1:
            raise ConfigError(f"--max-length must be a positive number of tokens, not {max_length}")
        tokenizer = load_tokenizer(model)
        for_trl(tokenizer)
        # this tokenizer only counts tokens (against max_length, reported): a text past the model's
        # own limit is what is being measured, not an error to warn about on every export
        tokenizer.model_max_length = int(1e30)
        return cls(tokenizer, max_length, model)

    def too_long(self, rows: list[dict]) -> int:
        """How many of ``rows`` have a side over ``max_length`` tokens."""
        return sum(any(len(ids) > self.max_length for ids in pair) for pair in trl_token_ids(self.tokenizer, rows))

    def measure(self, rows, into: dict[str, int], split: str, batch: int = 512) -> Iterator[dict]:
        """Pass ``rows`` through, counting the too-long ones into ``into[split]`` (batched:
        a fast tokenizer encodes a list many times faster than one text at a time)."""
        into[split] = 0
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == batch:
                into[split] += self.too_long(chunk)
                yield from chunk
                chunk = []
        into[split] += self.too_long(chunk)
        yield from chunk
