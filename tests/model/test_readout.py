"""rmbench.model.readout: a BERT classifier's logits with the last layer computed at the one
position read, equal to the full forward pass; every other case left to the model."""

from __future__ import annotations

import pytest
import torch

from rmbench.model.readout import first_token_logits
from rmbench.model.scoring import RewardScorer

PROMPTS = ["why is the sky blue", "tell me a story about a dragon " * 6, "q", "a b c " * 20]
RESPONSES = ["because of scattering", "once upon a time " * 9, "no", "x y " * 30]


def _batch(tok, max_length=64):
    return dict(tok(PROMPTS, RESPONSES, padding=True, truncation=True, max_length=max_length, return_tensors="pt"))


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_equals_the_full_forward_on_a_padded_batch(tiny_bert, layers):
    model, tok = tiny_bert()
    if layers != 2:  # also one layer (nothing before the last) and three
        from transformers import BertForSequenceClassification

        cfg = model.config
        cfg.num_hidden_layers = layers
        torch.manual_seed(layers)
        model = BertForSequenceClassification(cfg)
    model.eval()
    batch = _batch(tok)
    assert (batch["attention_mask"] == 0).any() and (batch["token_type_ids"] == 1).any()  # padding, two segments
    n_layers = len(model.bert.encoder.layer)
    with torch.inference_mode():
        want = model(**batch).logits
        got = first_token_logits(model, batch)
    assert got is not None and got.shape == want.shape
    assert torch.allclose(got, want, atol=1e-6, rtol=1e-5), (got - want).abs().max()
    assert len(model.bert.encoder.layer) == n_layers  # the module list is whole again


def test_other_models_and_settings_are_left_to_the_model(tiny_bert):
    model, tok = tiny_bert()
    batch = _batch(tok)
    model.train()  # dropout on: not the scorer's setting
    assert first_token_logits(model, batch) is None
    model.eval()
    assert first_token_logits(model, {**batch, "position_ids": torch.arange(batch["input_ids"].shape[1])[None]}) is None

    class Custom(type(model)):  # a subclass may read other positions in its own forward
        pass

    model.__class__ = Custom
    assert first_token_logits(model, batch) is None


def test_the_scorer_uses_it_and_scores_as_before(tiny_bert, monkeypatch):
    model, tok = tiny_bert()
    fast = RewardScorer(model, tok, device="cpu", max_length=48, batch_size=3)
    calls = []
    import rmbench.model.scoring as scoring

    real = scoring.first_token_logits
    monkeypatch.setattr(scoring, "first_token_logits", lambda m, b: (calls.append(1), real(m, b))[1])
    got = fast.score(PROMPTS, RESPONSES)
    monkeypatch.setattr(scoring, "first_token_logits", lambda m, b: None)  # the full forward pass
    want = RewardScorer(model, tok, device="cpu", max_length=48, batch_size=3).score(PROMPTS, RESPONSES)
    assert calls and got == pytest.approx(want, abs=1e-6)
