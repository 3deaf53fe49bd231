"""``DpoScorer``: the implicit reward of a DPO-trained policy.

    r(x, y) = beta * sum over response tokens t of (log pi(y_t | x, y_<t) - log pi_ref(y_t | x, y_<t))

x is the post as the user turn and y the response as the assistant turn of the policy's
chat template (``rmbench.model.chat``, the same rendering and post-first truncation as a
chat classifier). "Response tokens" are every token after the generation prompt: the
response and the template's end-of-turn tokens, as DPO training scores them. Both models
run in eval mode in fp32 unless a dtype is asked for; padding is masked, so rewards do not
depend on the batch size. beta scales the reward (and the calibration error), not the
ranking: any beta gives the same accuracy.
"""

from __future__ import annotations

import torch

from rmbench.errors import ConfigError
from rmbench.model.causal import response_logprobs
from rmbench.model.chat import make_encoder
from rmbench.model.scoring import ResponseScorer


class DpoScorer(ResponseScorer):
    kind = "dpo"

    def __init__(self, policy, reference, tokenizer, *, beta: float = 0.1, max_length: int = 512,
                 batch_size: int | None = None, input_format: str = "chat", device=None):
        if beta <= 0:
            raise ConfigError(f"dpo beta must be positive, got {beta}")
        if policy.get_output_embeddings().weight.shape[0] != reference.get_output_embeddings().weight.shape[0]:
            raise ConfigError("the DPO policy and its reference model have different vocabularies")
        encoder = make_encoder(tokenizer, input_format, max_length, with_response_start=True)
        super().__init__(policy, tokenizer, encoder, device=device, batch_size=batch_size)
        self.reference = reference.to(self.device).eval()
        self.beta = float(beta)

    def _forward(self, batch: dict, rows: list) -> list[float]:
        starts = torch.tensor([r.response_start for r in rows], device=self.device)
        policy = response_logprobs(self.model, batch, starts)
        reference = response_logprobs(self.reference, batch, starts)
        return (self.beta * (policy - reference)).tolist()
