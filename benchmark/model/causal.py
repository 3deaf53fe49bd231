"""Log-probabilities from a causal LM at chosen positions, without the full logits tensor.

The DPO reward needs the log-probability of every response token; the judge needs the
next-token distribution after its prompt. Full logits are batch x length x vocabulary
floats (64 x 512 x 49k = 6 GiB for SmolLM2), so where transformers supports it
(``logits_to_keep`` with a boolean mask, transformers >= 5) only the wanted positions go
through the LM head. Older versions fall back to full logits on micro-batches kept under
``LOGITS_BYTES``. Either way a row's numbers do not depend on its batch neighbours.
"""

from __future__ import annotations

import functools
import inspect

import torch

# Fallback path only: one micro-batch's full-vocabulary fp32 logits stay under 1 GiB.
LOGITS_BYTES = 1 << 30


@functools.cache
def _transformers_selects() -> bool:
    try:
        from transformers.modeling_utils import slice_logits_to_keep  # noqa: F401  (the boolean-mask form)
    except ImportError:
        return False
    return True


def selects_positions(model) -> bool:
    return _transformers_selects() and "logits_to_keep" in inspect.signature(model.forward).parameters


def selected_logits(model, batch: dict, select: torch.Tensor) -> torch.Tensor:
    """Logits at the True positions of ``select`` (batch x length), row-major: (n_true, vocab), fp32."""
    inputs = {k: v for k, v in batch.items() if k != "token_type_ids"}
    if selects_positions(model):
        logits = model(**inputs, logits_to_keep=select).logits
        return logits.reshape(-1, logits.shape[-1]).float()
    vocab = model.get_output_embeddings().weight.shape[0]
    rows = max(1, LOGITS_BYTES // (4 * vocab * select.shape[1]))
    parts = []
    for start in range(0, select.shape[0], rows):
        sub = {k: v[start : start + rows] for k, v in inputs.items()}
        parts.append(model(**sub).logits[select[start : start + rows]].float())
    return torch.cat(parts)


def response_logprobs(model, batch: dict, starts: torch.Tensor) -> torch.Tensor:
    """Per row: the sum of log p(token_t | tokens_<t) over real tokens at positions >= starts[row]."""
    ids, mask = batch["input_ids"], batch["attention_mask"]
    width = ids.shape[1]
    positions = torch.arange(width, device=ids.device)[None, :]
    targets = (positions >= starts.to(ids.device)[:, None]) & (mask == 1)
    targets[:, 0] = False  # the first token has no prediction
    select = torch.zeros_like(targets)
    select[:, :-1] = targets[:, 1:]  # position t predicts token t + 1
    logp = selected_logits(model, batch, select).log_softmax(-1)
    picked = logp.gather(-1, ids[targets][:, None])[:, 0]
    rows = torch.arange(ids.shape[0], device=ids.device)[:, None].expand_as(targets)[targets]
    return torch.zeros(ids.shape[0], device=ids.device, dtype=picked.dtype).index_add_(0, rows, picked)


def next_token_logprobs(model, batch: dict) -> torch.Tensor:
    """Per row: log-probabilities of the token after its last real token, (batch, vocab)."""
    mask = batch["attention_mask"]
    last = mask.sum(1) - 1
    select = torch.zeros_like(mask, dtype=torch.bool)
    select[torch.arange(mask.shape[0], device=mask.device), last] = True
    return selected_logits(model, batch, select).log_softmax(-1)
