"""KL(agent ‖ generator) on the agent's own stories, from an estimator that cannot go negative.

The textbook Monte-Carlo estimate, log π_agent(y) − log π_gen(y) averaged over y ~ agent, is
unbiased but each term can be negative, and so can the mean of a small sample: a report that
says "KL −0.3" is reporting noise. Here every position t of a sampled story contributes the
*exact* KL of the two next-token distributions given the same prefix,

    KL_t = Σ_v π_agent(v | y_<t) · (log π_agent(v | y_<t) − log π_gen(v | y_<t))  ≥ 0,

and a story's KL is Σ_t KL_t. By the chain rule its expectation over y ~ agent is the
sequence-level KL(agent ‖ generator), the same quantity the Monte-Carlo estimate targets
(unbiased, lower variance: the sum over the vocabulary replaces sampling one token), but no
term is ever below zero and identical models give exactly 0. Both numbers are returned, so a
reader can check they agree.
"""

from __future__ import annotations

from rmbench.agent.generate import by_length, completion_batch
from rmbench.console import progress


def story_kl(policy, reference, tok, prompts: list[str], completions: list[tuple[int, ...]], *,
             batch_size: int = 4, desc: str = "KL to the generator") -> dict:
    """Per story: ``exact`` (Σ_t KL_t ≥ 0), ``log_ratio`` (the Monte-Carlo term) and ``tokens``.

    ``completions`` must be samples of ``policy`` (at temperature 1, full nucleus) for the
    expectation to be KL(policy ‖ reference); both models must share ``tok``'s vocabulary."""
    import torch

    p_vocab, r_vocab = policy.get_output_embeddings().weight.shape[0], reference.get_output_embeddings().weight.shape[0]
    if p_vocab != r_vocab:
        raise ValueError(f"KL needs one vocabulary; the models have {p_vocab} and {r_vocab} tokens")
    device = next(policy.parameters()).device
    exact, log_ratio = [0.0] * len(prompts), [0.0] * len(prompts)
    with progress(desc) as bar, torch.no_grad():
        task = bar.add_task(desc, total=len(prompts))
        for rows in by_length(tok, prompts, completions, batch_size):
            ids, mask, spans = completion_batch(tok, [prompts[i] for i in rows], [completions[i] for i in rows], device)
            # Logits at position t-1 predict token t: the completion's tokens a..b-1 use rows a-1..b-2.
            # Only rows from the earliest a-1 on are computed (the prompt's rows predict nothing we
            # score: the vocabulary-wide head and softmax there were most of this pass's memory).
            first = max(0, min(a for a, _ in spans) - 1)
            keep = ids.shape[1] - first
            lp = torch.log_softmax(policy(input_ids=ids, attention_mask=mask, logits_to_keep=keep).logits.float(), dim=-1)
            lq = torch.log_softmax(reference(input_ids=ids.to(next(reference.parameters()).device), attention_mask=mask,
                                             logits_to_keep=keep).logits.float().to(device), dim=-1)
            per_pos = (lp.exp() * (lp - lq)).sum(-1).clamp_min(0.0)  # clamp: float rounding only
            tok_lr = (lp - lq)[:, :-1].gather(-1, ids[:, first + 1:, None]).squeeze(-1)
            for i, (r, (a, b)) in enumerate(zip(rows, spans)):
                exact[r] = float(per_pos[i, a - 1 - first:b - 1 - first].sum())
                log_ratio[r] = float(tok_lr[i, a - 1 - first:b - 1 - first].sum())
            bar.advance(task, len(spans))
    return {"exact": exact, "log_ratio": log_ratio, "tokens": [len(c) for c in completions]}


def kl_summary(kl: dict) -> dict:
    """Means per story and per token, with the Monte-Carlo mean beside the exact one."""
    n, tokens = len(kl["exact"]), sum(kl["tokens"])
    if not n:
        return {"per_story": None, "per_token": None, "monte_carlo_per_story": None, "n": 0,
                "estimator": "exact per-token KL on agent samples"}
    return {"per_story": sum(kl["exact"]) / n, "per_token": sum(kl["exact"]) / max(1, tokens),
            "monte_carlo_per_story": sum(kl["log_ratio"]) / n, "n": n,
            "estimator": "exact per-token KL on agent samples"}
