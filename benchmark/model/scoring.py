"""Scorers: rewards for (prompt, response) pairs, fast and batch-size invariant.

Preference pairs share responses (one comment sits in up to five pairs of its post), so
a scorer encodes each unique input once, sorts them by token length and scores them in
batches padded only to the longest member. Results come back in input order. Padding is
masked, so a score does not depend on its batch neighbours beyond float rounding (pinned
by tests/model/test_scoring.py). ``BatchedScorer`` is that machinery; the kinds fill in
``_forward``: ``RewardScorer`` (a one-logit classifier, here), ``DpoScorer``
(``rmbench.model.dpo``) and ``JudgeScorer`` (``rmbench.model.judge``).

    scorer = RewardScorer("minilm", max_length=256)
    rewards = scorer.score(prompts, responses)          # list[float]
    print(scorer.truncated)                               # {"prompt": n, "response": n}
    rc, rr = scorer.score_pairs(prompts, chosen, rejected)
    print(scorer.pair_cuts["chosen"][:3])                 # per pair: was that side cut?
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from rmbench.model.chat import make_encoder
from rmbench.model.inputs import compact, pad_batch
from rmbench.model.load import load_reward_model, prepare_tokenizer
from rmbench.model.memory import release_memory
from rmbench.model.readout import first_token_logits

__all__ = ["BatchedScorer", "ResponseScorer", "RewardScorer", "default_batch_size", "load_reward_model"]


def pick_device(model, device=None) -> torch.device:
    if device is None:
        device = next(model.parameters()).device
        if device.type == "cpu" and torch.cuda.is_available():
            device = torch.device("cuda")
    return torch.device(device)


def default_batch_size(device: torch.device, external: bool = False) -> int:
    """The scoring batch when none is given: 8 on a CPU, 64 on a GPU or an external backend.

    Why: on a CPU a forward pass costs its tokens through the linear layers whatever the
    batch, so a big batch only adds padding and cache misses: minilm on the harness's own
    workload scored 1.94x naive per-pair scoring at batch 8 against 1.69x at 64 (BENCHMARKS.md,
    (b)). A GPU is busy only with many sequences at once; vLLM batches for itself."""
    return 64 if external or device.type != "cpu" else 8


class BatchedScorer:
    """Unique inputs, sorted by length, batched; ``_forward`` gives one value per row."""

    kind = "classifier"

    def __init__(self, model, tokenizer, encoder, *, device=None, batch_size: int | None = None):
        # model None: an external backend (the vLLM judge) runs the forward passes
        self.device = pick_device(model, device) if model is not None else torch.device("cpu")
        self.model = model.to(self.device) if model is not None else None
        self.tokenizer = prepare_tokenizer(tokenizer, model)
        self.encoder = encoder
        self.max_length = encoder.max_length
        # None or 0 (eval.batch_size's "auto"): the device's default
        self.batch_size = int(batch_size) if batch_size else default_batch_size(self.device, model is None)
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1 (or 0/None: the device's default)")
        self.unique_scored = 0
        self.pair_cuts: dict[str, list[bool]] = {}
        # Set to {} to remember values across calls: test and test_hard share responses.
        self.memo: dict | None = None

    def _forward(self, batch: dict, rows: list) -> list:
        raise NotImplementedError

    def pending(self, keys: Sequence) -> int:
        """How many of ``keys`` a call would score (unique, not memoised): a progress total."""
        return len(set(keys) - (self.memo or {}).keys())

    @torch.inference_mode()
    def _run(self, keys: Sequence, progress: Callable[[int], None] | None = None) -> tuple[list, list]:
        """(value per key, cut flags per key), in input order."""
        index: dict = {}
        slots = [index.setdefault(k, len(index)) for k in keys]
        unique = list(index)
        memo = self.memo if self.memo is not None else {}
        encoded = [None if key in memo else compact(self.encoder.encode(*key)) for key in unique]
        todo = [i for i, e in enumerate(encoded) if e is not None]
        # Longest first: a batch that does not fit in memory fails on the first step.
        order = sorted(todo, key=lambda i: (-len(encoded[i].input_ids), i))
        values = [memo[key][0] if key in memo else None for key in unique]
        was_training = self.model is not None and self.model.training
        if self.model is not None:
            self.model.eval()
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        with_types = getattr(self.encoder, "has_token_types", False)
        try:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                rows = [encoded[i] for i in chunk]
                batch = {k: v.to(self.device) for k, v in pad_batch(rows, pad_id, with_types).items()}
                for i, value in zip(chunk, self._forward(batch, rows)):
                    values[i] = value
                if progress is not None:
                    progress(len(chunk))
        finally:
            if self.model is not None:
                self.model.train(was_training)
            release_memory(collect=False)  # the batches' activations: back to the OS, not kept for the next split
        self.unique_scored = len(todo)
        cuts = [memo[key][1] if e is None else e.cuts for key, e in zip(unique, encoded)]
        if self.memo is not None:
            self.memo.update({unique[i]: (values[i], cuts[i]) for i in todo})
        return [values[s] for s in slots], [cuts[s] for s in slots]

    def split_extras(self) -> dict:
        """What a run stores per split beside the rewards: per-pair cut flags (and kind data)."""
        return {"cuts": self.pair_cuts}


class ResponseScorer(BatchedScorer):
    """A scorer of (prompt, response) inputs: one reward each."""

    def __init__(self, model, tokenizer, encoder, **kw):
        super().__init__(model, tokenizer, encoder, **kw)
        self.truncated = {"prompt": 0, "response": 0}
        self.last_cuts: list[tuple[bool, bool]] = []

    def score(self, prompts: Sequence[str], responses: Sequence[str],
              progress: Callable[[int], None] | None = None) -> list[float]:
        """One reward per (prompts[i], responses[i]), in input order.

        ``self.truncated`` counts the inputs (not unique texts) whose post or response was
        cut; ``self.last_cuts[i]`` says which side of input i was cut. ``progress`` is
        called with the number of unique inputs finished after each batch. With
        ``self.memo = {}``, inputs scored by an earlier call are not scored again.
        """
        if len(prompts) != len(responses):
            raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
        rewards, self.last_cuts = self._run(list(zip(prompts, responses)), progress)
        self.truncated = {"prompt": sum(c[0] for c in self.last_cuts),
                          "response": sum(c[1] for c in self.last_cuts)}
        return rewards

    def pending_pairs(self, prompts, chosen, rejected) -> int:
        return self.pending(list(zip(list(prompts) * 2, list(chosen) + list(rejected))))

    def score_pairs(self, prompts: Sequence[str], chosen: Sequence[str], rejected: Sequence[str],
                    progress: Callable[[int], None] | None = None) -> tuple[list[float], list[float]]:
        """Rewards of both sides of each pair, scored together (shared responses once)."""
        n = len(prompts)
        rewards = self.score(list(prompts) * 2, list(chosen) + list(rejected), progress=progress)
        c, r = self.last_cuts[:n], self.last_cuts[n:]
        self.pair_cuts = {"prompt": [a[0] or b[0] for a, b in zip(c, r)],
                          "chosen": [a[1] for a in c], "rejected": [b[1] for b in r]}
        return rewards[:n], rewards[n:]


class RewardScorer(ResponseScorer):
    """Scores (prompt, response) pairs with a one-logit sequence-classification model.

    ``model`` is a preset or alias (``minilm``), a hub id, a local directory, or an already
    loaded model (then ``tokenizer`` is required). ``input_format``: auto (the chat template
    when the tokenizer has one), chat or pair. ``output``: the model output that holds the
    reward (``logits``; ``score`` for ArmoRM-style models). ``dtype``: what a model named by
    path or name is loaded and scored in (``model.dtype``; None: as saved, float32 for ours).
    """

    def __init__(self, model, tokenizer=None, *, device=None, max_length: int = 512, batch_size: int | None = None,
                 input_format: str = "auto", output: str = "logits", dtype: str | None = None):
        if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
            model, loaded_tok = load_reward_model(str(model), dtype=dtype, for_training=False)
            tokenizer = tokenizer or loaded_tok
        if tokenizer is None:
            raise ValueError("RewardScorer needs a tokenizer when given a loaded model")
        prepare_tokenizer(tokenizer, model)
        super().__init__(model, tokenizer, make_encoder(tokenizer, input_format, max_length),
                         device=device, batch_size=batch_size)
        self.output = output

    def _forward(self, batch: dict, rows: list) -> list[float]:
        # A BERT classifier reads one position: its last layer computed there alone (rmbench.model.readout).
        out = first_token_logits(self.model, batch) if self.output == "logits" else None
        if out is None:
            out = getattr(self.model(**batch), self.output)
        return out.float().reshape(len(rows), -1)[:, 0].tolist()
