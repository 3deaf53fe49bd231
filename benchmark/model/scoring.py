"""``RewardScorer``: rewards for (prompt, response) pairs, fast and batch-size invariant.

Preference pairs share responses (one comment sits in up to five pairs of its post), so
the scorer encodes each unique (prompt, response) once, sorts them by token length and
scores them in batches padded only to the longest member. Results come back in input
order. Padding is masked, so a score does not depend on its batch neighbours beyond
float rounding (pinned by tests/test_scoring.py).

    scorer = RewardScorer("minilm", max_length=256)
    rewards = scorer.score(prompts, responses)          # list[float]
    print(scorer.truncated)                               # {"prompt": n, "response": n}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from rmbench.model.inputs import PairEncoder, pad_batch
from rmbench.model.load import load_reward_model, prepare_tokenizer

__all__ = ["RewardScorer", "load_reward_model"]


class RewardScorer:
    """Scores (prompt, response) pairs with a one-logit sequence-classification model.

    ``model`` is an alias (``minilm``), a hub id, a local directory, or an already loaded
    model (then ``tokenizer`` is required).
    """

    def __init__(self, model, tokenizer=None, *, device=None, max_length: int = 512, batch_size: int = 32):
        if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
            model, loaded_tok = load_reward_model(str(model))
            tokenizer = tokenizer or loaded_tok
        if tokenizer is None:
            raise ValueError("RewardScorer needs a tokenizer when given a loaded model")
        if device is None:
            device = next(model.parameters()).device
            if device.type == "cpu" and torch.cuda.is_available():
                device = torch.device("cuda")
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.tokenizer = prepare_tokenizer(tokenizer, model)
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.encoder = PairEncoder(tokenizer, max_length)
        self.truncated = {"prompt": 0, "response": 0}
        self.last_cuts: list[tuple[bool, bool]] = []
        self.unique_scored = 0
        # Set to {} to remember rewards across calls: test and test_hard share responses.
        self.memo: dict[tuple[str, str], tuple[float, bool, bool]] | None = None

    @torch.inference_mode()
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
        index: dict[tuple[str, str], int] = {}
        slots = [index.setdefault((p, r), len(index)) for p, r in zip(prompts, responses)]
        unique = list(index)
        memo = self.memo if self.memo is not None else {}
        encoded = [None if key in memo else self.encoder.encode(*key) for key in unique]
        todo = [i for i, e in enumerate(encoded) if e is not None]
        # Longest first: a batch that does not fit in memory fails on the first step.
        order = sorted(todo, key=lambda i: (-len(encoded[i].input_ids), i))
        rewards = [memo[key][0] if key in memo else 0.0 for key in unique]
        was_training = self.model.training
        self.model.eval()
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        with_types = self.encoder.has_token_types
        try:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                batch = pad_batch([encoded[i] for i in chunk], pad_id, with_types)
                batch = {k: v.to(self.device) for k, v in batch.items()}
                logits = self.model(**batch).logits.float().reshape(len(chunk), -1)[:, 0]
                for i, value in zip(chunk, logits.tolist()):
                    rewards[i] = value
                if progress is not None:
                    progress(len(chunk))
        finally:
            self.model.train(was_training)
        self.unique_scored = len(todo)
        cuts = [memo[key][1:] if e is None else (e.prompt_cut, e.response_cut) for key, e in zip(unique, encoded)]
        if self.memo is not None:
            self.memo.update({unique[i]: (rewards[i], *cuts[i]) for i in todo})
        self.last_cuts = [cuts[s] for s in slots]
        self.truncated = {"prompt": sum(c[0] for c in self.last_cuts),
                          "response": sum(c[1] for c in self.last_cuts)}
        return [rewards[s] for s in slots]

    def score_pairs(self, prompts: Sequence[str], chosen: Sequence[str], rejected: Sequence[str],
                    progress: Callable[[int], None] | None = None) -> tuple[list[float], list[float]]:
        """Rewards of both sides of each pair, scored together (shared responses once)."""
        n = len(prompts)
        rewards = self.score(list(prompts) * 2, list(chosen) + list(rejected), progress=progress)
        return rewards[:n], rewards[n:]
