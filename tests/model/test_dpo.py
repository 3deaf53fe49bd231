"""DpoScorer: beta * sum of (log pi - log pi_ref) over response tokens, batch-size invariant."""

from __future__ import annotations

import pytest
import torch

from rmbench.errors import ConfigError
from rmbench.model.dpo import DpoScorer

PROMPTS = ["clear story about time", "lazy post " * 30, "q"] * 3
RESPONSES = [("kind careful answer " * (i + 1)).strip() for i in range(9)]


@pytest.fixture
def models(dpo_models):
    return dpo_models


def manual_reward(policy, reference, tok, prompt, response, beta):
    """The definition, computed the slow way: full logits of the whole rendering."""
    msgs = [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]
    ids = torch.tensor([tok.apply_chat_template(msgs, tokenize=True, return_dict=False)])
    start = len(tok.apply_chat_template(msgs[:1], tokenize=True, return_dict=False, add_generation_prompt=True))

    def logp(model):
        with torch.no_grad():
            lp = model(input_ids=ids).logits[0].log_softmax(-1)
        return sum(lp[t - 1, ids[0, t]].item() for t in range(start, ids.shape[1]))

    return beta * (logp(policy) - logp(reference))


def test_reward_is_the_dpo_implicit_reward(models):
    policy, reference, tok = models
    scorer = DpoScorer(policy, reference, tok, beta=0.5, max_length=256, batch_size=4)
    got = scorer.score(PROMPTS[:2], RESPONSES[:2])
    want = [manual_reward(policy, reference, tok, p, r, 0.5) for p, r in zip(PROMPTS[:2], RESPONSES[:2])]
    assert got == pytest.approx(want, abs=1e-4)
    assert not policy.training and not reference.training


def test_batch_size_does_not_change_rewards(models):
    policy, reference, tok = models
    scorer = DpoScorer(policy, reference, tok, max_length=64, batch_size=1)
    one = scorer.score(PROMPTS, RESPONSES)
    assert scorer.truncated["prompt"] > 0  # the long post was cut, and still invariant
    for bs in (3, 64):
        scorer.batch_size = bs
        assert scorer.score(PROMPTS, RESPONSES) == pytest.approx(one, abs=1e-4)


def test_a_policy_against_itself_scores_zero_and_beta_scales(models):
    policy, reference, tok = models
    assert DpoScorer(policy, policy, tok, max_length=64).score(PROMPTS, RESPONSES) == pytest.approx([0.0] * 9, abs=1e-6)
    a = DpoScorer(policy, reference, tok, beta=0.1, max_length=64).score(PROMPTS, RESPONSES)
    b = DpoScorer(policy, reference, tok, beta=0.2, max_length=64).score(PROMPTS, RESPONSES)
    assert b == pytest.approx([2 * x for x in a], rel=1e-5, abs=1e-6)


def test_dpo_needs_the_chat_rendering_and_a_positive_beta(models):
    policy, reference, tok = models
    with pytest.raises(ConfigError, match="chat"):
        DpoScorer(policy, reference, tok, input_format="pair")
    with pytest.raises(ConfigError, match="beta"):
        DpoScorer(policy, reference, tok, beta=0)
