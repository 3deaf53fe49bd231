"""DPO training (rmbench.model.dpo_train): its loss is Bradley-Terry on the very rewards DpoScorer gives."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from rmbench.model.chat import make_encoder
from rmbench.model.dpo import DpoScorer
from rmbench.model.dpo_train import DpoCollator, DpoPairTrainer, encode_dpo_pairs, reference_logprobs


@pytest.fixture
def models(dpo_models):
    return dpo_models


def _loss(policy, reference, tok, pairs, beta, max_length):
    encoder = make_encoder(tok, "chat", max_length, with_response_start=True)
    rows, cut = encode_dpo_pairs(pairs, encoder, reference_logprobs(reference, tok, encoder, pairs, False, 4))
    batch = DpoCollator(tok.pad_token_id)(rows)
    policy.eval()
    with torch.no_grad():
        loss, out = DpoPairTrainer.compute_loss(SimpleNamespace(beta=beta), policy, batch, return_outputs=True)
    return float(loss), out, cut


@pytest.mark.parametrize("max_length", [256, 40])  # 40: posts and responses cut, as in training at 128
def test_the_loss_is_bradley_terry_on_the_scorers_implicit_rewards(models, make_pairs, max_length):
    policy, reference, tok = models
    pairs = make_pairs("writingprompts", "train", 7)
    loss, out, cut = _loss(policy, reference, tok, pairs, 0.5, max_length)
    scorer = DpoScorer(policy, reference, tok, beta=0.5, max_length=max_length, batch_size=3)
    rc, rr = scorer.score_pairs([p["prompt"] for p in pairs], [p["chosen"] for p in pairs],
                                [p["rejected"] for p in pairs])
    # the tokens trained on are the tokens scored: the same rewards, pair by pair
    assert out["r_chosen"].tolist() == pytest.approx(rc, abs=1e-4)
    assert out["r_rejected"].tolist() == pytest.approx(rr, abs=1e-4)
    expected = -F.logsigmoid(torch.tensor(rc) - torch.tensor(rr)).mean().item()
    assert loss == pytest.approx(expected, abs=1e-5) and loss != pytest.approx(math.log(2), abs=1e-3)
    assert (cut["response"] > 0) == (max_length == 40)


def test_a_policy_that_is_its_reference_starts_at_log_2(models, make_pairs):
    policy, _, tok = models
    loss, out, _ = _loss(policy, policy, tok, make_pairs("askacademia", "train", 5), 0.1, 128)
    assert loss == pytest.approx(math.log(2), abs=1e-6)
    assert out["r_chosen"].abs().max().item() < 1e-5
